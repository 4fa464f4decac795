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

Fix: write the replacement the message names.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Finding
from parlint.rules.unknown_key import distinct_notes

CODE = "PL903"
NAME = "deprecated-key"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for note in distinct_notes(facts.plan.deprecated_keys for facts in ctx.deployments):
        message = note.reason or f"`{note.spelling}` is deprecated"
        if note.replacement and note.replacement not in message:
            message += f"; write `{note.replacement}` instead"
        yield finding((note.file, note.range), message)
