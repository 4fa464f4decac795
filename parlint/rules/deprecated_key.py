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
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Applicability, Finding, Fix, Suggestion
from parlint.linter.fixes import EDITABLE_DIALECTS, key_range, rename_key, replace_value
from parlint.linter.plan import KeyNote
from parlint.rules.unknown_key import distinct_notes

CODE = "PL903"
NAME = "deprecated-key"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = True


def _sglang_dp_attention(facts: DeploymentFacts, note: KeyNote) -> tuple[Fix | None, Suggestion | None]:
    """SGLang 0.5.23 rewrites ``--dp-size N --enable-dp-attention`` to ``--attn-dp-size N`` with ``--dp-size 1``
    (``parallel_hook.handle_deprecated_dp_attention``): writing that is safe. The switch is set to ``false``
    rather than deleted (SGLang omits a false store_true flag), so a comment on its line survives."""
    plan = facts.plan
    switch, dp = plan.source("enable_attention_dp"), plan.source("dp")
    if plan.engine != "sglang" or plan.dialect not in EDITABLE_DIALECTS or switch is None or switch.range.start.line \
            != note.range.start.line:
        return None, None
    edits = [replace_value(switch, "false")]
    size = dp.value if dp is not None and isinstance(dp.value, int) else 1
    if dp is not None and size > 1 and plan.source("attn_dp") is None:
        edits.append(rename_key(key_range(dp), "attn-dp-size"))
    summary = f"attention DP {size} inside TP, one replica" if size > 1 else "no attention DP (the switch did nothing)"
    return (Fix(Applicability.SAFE, f"write what SGLang rewrites it to: {summary}", tuple(edits)),
            Suggestion(summary, {"attn_dp": size, "dp": 1}))


def _value_at(facts: DeploymentFacts, note: KeyNote) -> str | None:
    """The value the deprecated key sets (e.g. 4 for ``mp_size: 4``), so the message can show it moved."""
    for source in facts.plan.settings.values():
        if source.spelling == note.spelling and source.range.start.line == note.range.start.line:
            return str(source.value).lower() if isinstance(source.value, bool) else str(source.value)
    return None


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
            fix, suggestion = (_sglang_dp_attention(facts, note) if note.spelling == "enable-dp-attention"
                               else (None, None))
            yield finding((note.file, note.range), message, fix=fix, suggestion=suggestion)
