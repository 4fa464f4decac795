"""A deprecated spelling still works today, but its meaning or its support is about to change.

What: reports keys and flags the engine still accepts but has deprecated, with the spelling that
replaces them: SGLang ``--enable-dp-attention`` (now ``--attn-dp-size``), DeepSpeed ``mp_size`` (now
``tensor_parallel.tp_size``), ``ep_size`` (now ``moe.ep_size``), ``moe_experts`` (now ``moe.moe_experts``).

Why: deprecated keys are rewritten behind the user's back and then removed. SGLang 0.5.23 rewrites
``--dp-size N --enable-dp-attention`` to ``attn_dp_size=N, dp_size=1``
(``parallel_hook.handle_deprecated_dp_attention``), so the same ``--dp-size`` means full replicas
without the flag; DeepSpeed's ``DeepSpeedInferenceConfig`` marks ``mp_size`` with ``"deprecated": True,
"new_param": "tensor_parallel.tp_size"`` (``shared/reference/frameworks.md`` §2, §3.1).

Example (bad), SGLang::

    python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp-size 8 --dp-size 8 --enable-dp-attention

Example (good)::

    python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp-size 8 --attn-dp-size 8

Fix: write the replacement the message names. Fix (safe, SGLang YAML): ``dp-size: N`` with
``enable-dp-attention: true`` becomes ``attn-dp-size: N`` with the switch off, exactly SGLang's own rewrite.
Fix (safe, SGLang commands in launch files): ``--dp-size N`` (or ``--dp N``) becomes ``--attn-dp-size N``
and ``--enable-dp-attention`` is removed, the same rewrite.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Applicability, Edit, Finding, Fix, Suggestion
from parlint.linter.plan import KeyNote
from parlint.rules.unknown_key import distinct_notes

CODE = "PL903"
NAME = "deprecated-key"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = True


def _rewrite(size: int, edits: list[Edit]) -> tuple[Fix, Suggestion]:
    summary = f"attention DP {size} inside TP, one replica" if size > 1 else "no attention DP (the switch did nothing)"
    return (Fix(Applicability.SAFE, f"write what SGLang rewrites it to: {summary}", tuple(edits)),
            Suggestion(summary, {"attn_dp": size, "dp": 1}))


def _sglang_dp_attention(facts: DeploymentFacts, note: KeyNote) -> tuple[Fix | None, Suggestion | None]:
    """SGLang 0.5.23 rewrites ``--dp-size N --enable-dp-attention`` to ``--attn-dp-size N`` with ``--dp-size 1``
    (``parallel_hook.handle_deprecated_dp_attention``): writing that is safe. The switch is set to ``false``
    rather than deleted (SGLang omits a false store_true flag), so a comment on its line survives."""
    from parlint.linter.fixes import (  # only files with a fix pay its import
        COMMAND_DIALECTS,
        EDITABLE_DIALECTS,
        key_range,
        rename_key,
        replace_value,
    )

    plan = facts.plan
    switch, dp = plan.source("enable_attention_dp"), plan.source("dp")
    if plan.engine == "sglang" and plan.dialect in COMMAND_DIALECTS and plan.source_text:
        return _sglang_dp_attention_command(facts, note)
    if plan.engine != "sglang" or plan.dialect not in EDITABLE_DIALECTS or switch is None or switch.range.start.line \
            != note.range.start.line:
        return None, None
    edits = [replace_value(switch, "false")]
    size = dp.value if dp is not None and isinstance(dp.value, int) else 1
    if dp is not None and size > 1 and plan.source("attn_dp") is None:
        edits.append(rename_key(key_range(dp), "attn-dp-size"))
    return _rewrite(size, edits)


def _value_at(facts: DeploymentFacts, note: KeyNote) -> str | None:
    """The value the deprecated key sets (e.g. 4 for ``mp_size: 4``), so the message can show it moved."""
    for source in facts.plan.settings.values():
        if source.spelling == note.spelling and source.range.start.line == note.range.start.line:
            return str(source.value).lower() if isinstance(source.value, bool) else str(source.value)
    return None


def _sglang_dp_attention_command(facts: DeploymentFacts, note: KeyNote) -> tuple[Fix | None, Suggestion | None]:
    """The same rewrite on a command line: the switch word is removed (a command has no ``false`` for it)
    and the ``--dp-size`` flag before the DP value is renamed ``--attn-dp-size``."""
    from parlint.linter.adapters.flags import SGLANG
    from parlint.linter.fixes import delete_word, flag_before, rename_key  # only files with a fix pay its import

    plan, text = facts.plan, facts.plan.source_text
    dp = plan.source("dp")
    removal = delete_word(text, note.range) if note.file == plan.file else None
    if removal is None:
        return None, None
    edits = [removal]
    size = dp.value if dp is not None and isinstance(dp.value, int) else 1
    if dp is not None and size > 1:
        flag = flag_before(text, dp) if dp.file == plan.file and plan.source("attn_dp") is None else None
        written = SGLANG.cli_flag(SGLANG.abbreviation(flag[1]) or flag[1]) if flag else None
        if flag is None or written is None or written.setting != "dp":
            return None, None
        edits.append(rename_key(flag[0], "--attn-dp-size"))
    return _rewrite(size, edits)


def check(ctx: LintContext) -> Iterator[Finding]:
    seen: set[tuple[str, object, str]] = set()
    for facts in ctx.deployments:
        # Several deployments of one file may carry the same key: each note once (as distinct_notes).
        for note in distinct_notes([facts.plan.deprecated_keys]):
            if (note.file, note.range, note.spelling) in seen:
                continue
            seen.add((note.file, note.range, note.spelling))
            message = note.reason or f"`{note.spelling}` is deprecated"
            if note.replacement and note.replacement not in message:
                value = _value_at(facts, note)
                written = f"{note.replacement}: {value}" if value is not None else note.replacement
                message += f"; write `{written}` instead"
            fix, suggestion = (_sglang_dp_attention(facts, note) if note.spelling.lstrip("-") == "enable-dp-attention"
                               else (None, None))
            yield finding((note.file, note.range), message, fix=fix, suggestion=suggestion)
