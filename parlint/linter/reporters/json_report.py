"""The ``json`` format: the editor-integration contract.

One object, described by ``parlint/schemas/output.schema.json`` (bump ``version`` on any breaking
change)::

    {"version": 1, "tool": {"name": "parlint", "version": "..."},
     "diagnostics": [Diagnostic.to_json(), ...],
     "summary": {"errors", "warnings", "infos", "files_with_diagnostics", "files_checked"}}

Non-ASCII text is written as ``\\u`` escapes so the output survives any terminal or pipe encoding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from parlint import __version__
from parlint.linter.diagnostics import Diagnostic
from parlint.linter.reporters import Summary, count

OUTPUT_VERSION = 1


def render(diagnostics: Sequence[Diagnostic], summary: Summary) -> str:
    counts = count(diagnostics)
    output: dict[str, Any] = {
        "version": OUTPUT_VERSION,
        "tool": {"name": "parlint", "version": __version__},
        "diagnostics": [diagnostic.to_json() for diagnostic in diagnostics],
        "summary": {
            "errors": counts.errors,
            "warnings": counts.warnings,
            "infos": counts.infos,
            "files_with_diagnostics": counts.files_with_diagnostics,
            "files_checked": summary.files_checked,
        },
    }
    return json.dumps(output, indent=2) + "\n"
