"""Inline suppressions: same line, next line, whole file, prefixes and names, unused ones."""

from __future__ import annotations

from parlint.linter.diagnostics import Diagnostic, Range, Severity
from parlint.linter.suppressions import apply_suppressions, find_suppressions


def _diagnostic(code: str, name: str, line: int) -> Diagnostic:
    return Diagnostic(code, name, Severity.ERROR, "m", "f.yaml", Range.of(line, 1, line, 2), "2.2")


TEXT = """\
tensor-parallel-size: 6  # parlint: disable=PL202 -- padded heads are intended
# parlint: disable-next-line=gpu-count, PL9
nvidia.com/gpu: 4
pipeline-parallel-size: 2  # parlint: disable=PL203
"""


def test_directives_are_found_with_targets_and_reasons() -> None:
    found = find_suppressions(TEXT)
    assert [(item.kind, item.selectors, item.line) for item in found] == [
        ("disable", ("PL202",), 1),
        ("disable-next-line", ("gpu-count", "PL9"), 3),
        ("disable", ("PL203",), 4),
    ]
    assert found[0].reason == "padded heads are intended"
    assert found[0].range.start == found[0].range.start.__class__(1, 26)


def test_apply_marks_used_selectors_and_keeps_the_rest() -> None:
    found = find_suppressions(TEXT)
    kept = apply_suppressions(
        [_diagnostic("PL202", "tensor-parallel-scope", 1), _diagnostic("PL101", "gpu-count", 3),
         _diagnostic("PL202", "tensor-parallel-scope", 3)],
        found,
    )
    assert [(item.code, item.range.start.line) for item in kept] == [("PL202", 3)]
    assert found[0].used == {"PL202"} and found[1].used == {"gpu-count"} and not found[2].used


def test_disable_file_covers_every_line() -> None:
    found = find_suppressions("# parlint: disable-file=PL2\na: 1\n")
    assert apply_suppressions([_diagnostic("PL203", "pipeline-parallel-scope", 2)], found) == []


def test_text_without_directives_costs_nothing() -> None:
    assert find_suppressions("a: 1\n# just a comment\n") == []
