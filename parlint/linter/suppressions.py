"""Inline suppressions in comments (YAML, shell, Markdown code, Dockerfile, Python).

Three forms, each taking codes, code prefixes or rule names, comma-separated, and an optional
reason after ``--``::

    tensor-parallel-size: 6  # parlint: disable=PL202 -- padded heads are intended here
    # parlint: disable-next-line=PL101,PL904
    # parlint: disable-file=PL2 -- this directory holds deliberately broken examples

A suppression that silences nothing is itself reported (PL003 unused-suppression), so stale ones do
not pile up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from parlint.linter.diagnostics import Diagnostic, Range

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""Lines as editors and diagnostics count them (``str.splitlines`` also breaks at form feeds and U+2028)."""
_DIRECTIVE = re.compile(
    r"#\s*parlint:\s*(?P<kind>disable-next-line|disable-file|disable)\s*=\s*(?P<codes>[A-Za-z0-9_,\s-]+?)"
    r"\s*(?:--\s*(?P<reason>.*))?$"
)


@dataclass
class Suppression:
    kind: str  # "disable", "disable-next-line", "disable-file"
    selectors: tuple[str, ...]
    line: int  # the line the suppression applies to (0 for the whole file)
    range: Range  # where the comment is written
    reason: str = ""
    used: set[str] = field(default_factory=set)

    def matches(self, diagnostic: Diagnostic) -> str | None:
        """The selector that silences ``diagnostic``, or None."""
        if self.line and diagnostic.range.start.line != self.line:
            return None
        for selector in self.selectors:
            if diagnostic.code.startswith(selector.upper()) or diagnostic.name == selector.lower():
                return selector
        return None


def find_suppressions(text: str) -> list[Suppression]:
    """Scan the text for parlint directives. Cheap: lines without ``parlint:`` are never matched."""
    if "parlint:" not in text:
        return []
    found: list[Suppression] = []
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if "parlint:" not in line:
            continue
        match = _DIRECTIVE.search(line)
        if not match:
            continue
        selectors = tuple(part.strip() for part in match.group("codes").split(",") if part.strip())
        kind = match.group("kind")
        target = {"disable": number, "disable-next-line": number + 1, "disable-file": 0}[kind]
        where = Range.of(number, match.start() + 1, number, len(line) + 1)
        found.append(Suppression(kind, selectors, target, where, (match.group("reason") or "").strip()))
    return found


def apply_suppressions(diagnostics: Iterable[Diagnostic], suppressions: list[Suppression]) -> list[Diagnostic]:
    """Drop suppressed diagnostics and record on each suppression which selectors were used."""
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        silenced = False
        for suppression in suppressions:
            selector = suppression.matches(diagnostic)
            if selector is not None:
                suppression.used.add(selector)
                silenced = True
        if not silenced:
            kept.append(diagnostic)
    return kept
