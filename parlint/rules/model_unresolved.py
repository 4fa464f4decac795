"""The model's structure could not be found offline, so structure rules are skipped for it.

What: reports, at the model field, that parlint found no config.json for the model through
``--model-config``, the ``models`` mapping of the parlint configuration, a local directory named by
the model field, the Hugging Face cache, or the built-in catalog.

Why: most hard constraints are about the model's structure (heads, KV heads, layers, experts).
parlint never guesses it and never downloads it at lint time, so without it the structural checks of
that deployment stay silent: this diagnostic says so instead of passing silently.

Example (flagged)::

    model: my-org/private-finetune-70b
    tensor-parallel-size: 8

Example (resolved)::

    # .parlint.yaml
    models:
      my-org/private-finetune-70b: models/private-finetune-70b/config.json

Fix: add the model to ``models`` in the parlint configuration, pass ``--model-config``, or keep the
model in the Hugging Face cache (``HF_HUB_CACHE`` / ``HF_HOME``).
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Finding

CODE = "PL002"
NAME = "model-unresolved"
SECTION = "-"
SEVERITY = "info"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        model = facts.plan.model
        if model is not None and facts.model is None:
            message = facts.model_message or f"no config.json found offline for model {model.value!r}"
            yield finding(model, f"{message}; structure rules skipped for this deployment")
