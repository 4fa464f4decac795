"""Render diagnostics in one of parlint's output formats.

The CLI imports this package at start-up, so it stays light: each format lives in its own module
(``<format>_report``) that :func:`render` imports only when that format is chosen, and none imports
:mod:`jsonschema`. The JSON output's contract is ``parlint/schemas/output.schema.json``; the tests
validate the JSON output against it and the SARIF output against the official SARIF 2.1.0 schema.

Diagnostics are rendered in the order given: sorting is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parlint.linter.diagnostics import Diagnostic, Position, Severity

FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class RuleInfo:
    """What reporters need to know about a rule; the rule registry builds these.

    ``severity`` is a :class:`~parlint.linter.diagnostics.Severity` value ("error", "warning",
    "info"); ``summary`` is one line, ``doc`` the rule's full documentation.
    """

    code: str
    name: str
    section: str
    severity: str
    summary: str
    doc: str
    fixable: bool


@dataclass(frozen=True)
class Summary:
    """What the run knows beyond its diagnostics."""

    files_checked: int


@dataclass(frozen=True)
class Counts:
    """Totals computed from the diagnostics of one run."""

    errors: int
    warnings: int
    infos: int
    files_with_diagnostics: int


def count(diagnostics: Sequence[Diagnostic]) -> Counts:
    by_severity = dict.fromkeys(Severity, 0)
    for diagnostic in diagnostics:
        by_severity[diagnostic.severity] += 1
    return Counts(
        errors=by_severity[Severity.ERROR],
        warnings=by_severity[Severity.WARNING],
        infos=by_severity[Severity.INFO],
        files_with_diagnostics=len({diagnostic.file for diagnostic in diagnostics}),
    )


def location(file: str, position: Position) -> str:
    """``path:line:col``, the form editors and terminals turn into a link."""
    return f"{file}:{position.line}:{position.column}"


def detail_lines(diagnostic: Diagnostic) -> list[str]:
    """The lines that follow a diagnostic's message: related places, the suggestion, the fix."""
    lines = [
        f"related: {location(related.file, related.range.start)}: {related.message}"
        for related in diagnostic.related
    ]
    if diagnostic.suggestion is not None:
        lines.append(f"suggestion: {diagnostic.suggestion.summary}")
    if diagnostic.fix is not None:
        lines.append(f"fix ({diagnostic.fix.applicability.value}): {diagnostic.fix.description}")
    return lines


def render(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    summary: Summary,
    rules: Sequence[RuleInfo],
    *,
    color: bool = False,
    quiet: bool = False,
) -> str:
    """Return the whole report in ``fmt`` (one of :data:`FORMATS`), ending in a newline unless empty.

    ``color`` and ``quiet`` only affect the ``text`` format: the machine-readable formats never change
    shape. ``rules`` describes the rules that ran; SARIF lists them as its rule descriptors.
    Raises :class:`ValueError` for an unknown format.
    """
    if fmt == "text":
        from parlint.linter.reporters import text_report

        return text_report.render(diagnostics, summary, color=color, quiet=quiet)
    if fmt == "json":
        from parlint.linter.reporters import json_report

        return json_report.render(diagnostics, summary)
    if fmt == "sarif":
        from parlint.linter.reporters import sarif_report

        return sarif_report.render(diagnostics, rules)
    if fmt == "github":
        from parlint.linter.reporters import github_report

        return github_report.render(diagnostics)
    raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")
