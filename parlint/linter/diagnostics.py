"""What parlint reports: positions, ranges, fixes, suggestions and diagnostics.

Positions are 1-based lines and 1-based columns counted in Unicode characters (code points), the
unit editors and the SARIF ``charOffset``-free ``startColumn`` agree on. An end position is
exclusive: it is the column just after the last character of the span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Position:
    line: int
    column: int

    def to_json(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column}

    @classmethod
    def from_json(cls, data: dict[str, int]) -> Position:
        return cls(data["line"], data["column"])


@dataclass(frozen=True, order=True)
class Range:
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Range:
        return cls(Position(line, column), Position(end_line, end_column))

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.to_json(), "end": self.end.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Range:
        return cls(Position.from_json(data["start"]), Position.from_json(data["end"]))


FILE_START = Range.of(1, 1, 1, 1)


@dataclass(frozen=True)
class LoadProblem:
    """Why a file could not be (fully) read, and where: reported as PL001 invalid-file."""

    message: str
    range: Range


@dataclass(frozen=True)
class Related:
    """Another place involved in a diagnostic, e.g. the line that requests the GPUs."""

    file: str
    range: Range
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "range": self.range.to_json(), "message": self.message}


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``range`` of the diagnostic's file with ``new_text``."""

    range: Range
    new_text: str

    def to_json(self) -> dict[str, Any]:
        return {"range": self.range.to_json(), "new_text": self.new_text}


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    description: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability.value,
            "description": self.description,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class Suggestion:
    """A corrected structural mapping: one readable line plus the mapping as data."""

    summary: str
    mapping: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "mapping": self.mapping}


@dataclass(frozen=True)
class Finding:
    """What a rule's ``check()`` yields: where and what. The registry adds code, name and section, and
    the rule's default severity unless the finding sets its own (a waste is a warning where the same
    rule's engine rejections are errors)."""

    file: str
    range: Range
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    suggestion: Suggestion | None = None
    severity: Severity | None = None


@dataclass
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    file: str
    range: Range
    section: str
    related: list[Related] = field(default_factory=list)
    fix: Fix | None = None
    suggestion: Suggestion | None = None

    def sort_key(self) -> tuple[str, Position, str, str]:
        return (self.file, self.range.start, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "range": self.range.to_json(),
            "section": self.section,
            "related": [item.to_json() for item in self.related],
            "fix": self.fix.to_json() if self.fix else None,
            "suggestion": self.suggestion.to_json() if self.suggestion else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        """The inverse of :meth:`to_json` (the result cache stores diagnostics as JSON)."""
        fix = data.get("fix")
        suggestion = data.get("suggestion")
        return cls(
            code=data["code"],
            name=data["name"],
            severity=Severity(data["severity"]),
            message=data["message"],
            file=data["file"],
            range=Range.from_json(data["range"]),
            section=data["section"],
            related=[
                Related(item["file"], Range.from_json(item["range"]), item["message"]) for item in data["related"]
            ],
            fix=Fix(
                Applicability(fix["applicability"]),
                fix["description"],
                tuple(Edit(Range.from_json(edit["range"]), edit["new_text"]) for edit in fix["edits"]),
            ) if fix else None,
            suggestion=Suggestion(suggestion["summary"], suggestion["mapping"]) if suggestion else None,
        )
