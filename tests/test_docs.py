"""The documented examples behave as the documentation says."""

from __future__ import annotations

import re
from pathlib import Path

from parlint.linter.config import Settings
from parlint.linter.runner import RunOptions, lint_text

ROOT = Path(__file__).resolve().parents[1]


def _yaml_blocks(document: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (ROOT / document).read_text(encoding="utf-8"), re.S)


def _codes(text: str) -> list[str]:
    return sorted({d.code for d in lint_text("plan.yaml", text, Settings(), RunOptions()).diagnostics})


def test_plan_format_examples() -> None:
    deepseek, llama, invalid = _yaml_blocks("docs/plan-format.md")
    assert _codes(deepseek) == []
    assert _codes(llama) == []
    assert _codes(invalid) == ["PL101", "PL202", "PL601"]
