"""The ``sarif`` format: SARIF 2.1.0, as GitHub code scanning ingests it.

One run. ``tool.driver.rules`` lists the rules that ran (plus a descriptor built from the diagnostic
for any code not among them, so every ``ruleIndex`` is valid); each result points at its rule, its
file (a relative URI under ``%SRCROOT%``; an absolute path becomes a ``file://`` URI), the related
places and, where the fix has edits, the replacements. Columns count Unicode code points, which the
run declares with ``columnKind``. A fix's applicability and a suggested mapping travel in
``properties``; the suggestion's summary is also appended to the message, which is what GitHub shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from parlint import __version__
from parlint.linter.diagnostics import Diagnostic, Range, Severity
from parlint.linter.reporters import RuleInfo

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(diagnostics: Sequence[Diagnostic], rules: Sequence[RuleInfo]) -> str:
    descriptors: dict[str, RuleInfo] = {}
    for rule in rules:
        descriptors.setdefault(rule.code, rule)
    for diagnostic in diagnostics:
        descriptors.setdefault(diagnostic.code, _rule_of(diagnostic))
    index = {code: position for position, code in enumerate(descriptors)}
    driver: dict[str, Any] = {
        "name": "parlint",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_descriptor(rule) for rule in descriptors.values()],
    }
    homepage = _homepage()
    if homepage is not None:
        driver["informationUri"] = homepage
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": [_result(diagnostic, index[diagnostic.code]) for diagnostic in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule_of(diagnostic: Diagnostic) -> RuleInfo:
    return RuleInfo(
        code=diagnostic.code,
        name=diagnostic.name,
        section=diagnostic.section,
        severity=diagnostic.severity.value,
        summary=diagnostic.name,
        doc="",
        fixable=False,
    )


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    doc = rule.doc.strip()
    first_paragraph = " ".join(doc.split("\n\n", 1)[0].split())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first_paragraph or rule.summary},
        "help": {"text": doc or rule.summary},
        "defaultConfiguration": {"level": _LEVEL[Severity(rule.severity)]},
        "properties": {"section": rule.section, "fixable": rule.fixable},
    }


def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    message = diagnostic.message
    properties: dict[str, Any] = {"section": diagnostic.section}
    if diagnostic.suggestion is not None:
        message += f"\nSuggestion: {diagnostic.suggestion.summary}"
        properties["suggestion"] = diagnostic.suggestion.to_json()
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": message},
        "locations": [_location(diagnostic.file, diagnostic.range)],
        "properties": properties,
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": number, **_location(related.file, related.range), "message": {"text": related.message}}
            for number, related in enumerate(diagnostic.related)
        ]
    fix = diagnostic.fix
    if fix is not None and fix.edits:
        result["fixes"] = [
            {
                "description": {"text": fix.description},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(diagnostic.file),
                        "replacements": [
                            {"deletedRegion": _region(edit.range), "insertedContent": {"text": edit.new_text}}
                            for edit in fix.edits
                        ],
                    }
                ],
                "properties": {"applicability": fix.applicability.value},
            }
        ]
    return result


def _location(file: str, span: Range) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": _artifact(file), "region": _region(span)}}


def _artifact(file: str) -> dict[str, str]:
    path = PurePath(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": SOURCE_ROOT}


def _region(span: Range) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
    }


def _homepage() -> str | None:
    """The project URL from the installed distribution's metadata; SARIF viewers link the tool to it."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        package = metadata("parlint")
    except PackageNotFoundError:
        return None
    for label_and_url in package.get_all("Project-URL") or []:
        url = str(label_and_url).partition(",")[2].strip()
        if url:
            return url
    return None
