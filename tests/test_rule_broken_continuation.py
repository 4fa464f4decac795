"""PL902: a ``\\`` followed by a comment or spaces ends the command; the rule names the lost flags."""

from __future__ import annotations

from parlint.linter.context import LintContext
from parlint.linter.diagnostics import Position
from parlint.linter.launch import extract_text
from parlint.rules import broken_continuation


def _findings(text: str, kind: str = "shell") -> list[tuple[Position, str]]:
    ctx = LintContext("run.sh", launch=extract_text("run.sh", text, kind))
    return [(item.range.start, item.message) for item in broken_continuation.check(ctx)]


def test_comment_after_backslash_names_the_dropped_flags() -> None:
    text = ("vllm serve m \\\n  --tensor-parallel-size 8 \\  # TP inside the node\n"
            "  --pipeline-parallel-size 2 \\\n  --port 8000\n")
    ((where, message),) = _findings(text)
    assert where == Position(2, 28)
    assert "a comment" in message and "`--pipeline-parallel-size`, `--port`" in message


def test_trailing_spaces_after_backslash() -> None:
    ((where, message),) = _findings("python -m sglang.launch_server --model-path m \\ \n  --tp 8\n")
    assert where == Position(1, 47) and "trailing whitespace" in message and "`--tp`" in message


def test_intact_continuations_and_escaped_spaces_are_clean() -> None:
    assert _findings("vllm serve m \\\n  --tensor-parallel-size 8 \\\n  --port 8000\n") == []
    assert _findings("echo a\\ b\n") == []


def test_dockerfile_allows_spaces_after_the_backslash() -> None:
    text = "FROM vllm/vllm-openai\nRUN pip install x \\   \n    && echo ok\n"
    assert _findings(text, "dockerfile") == []
