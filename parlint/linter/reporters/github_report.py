"""The ``github`` format: GitHub Actions workflow commands that become inline annotations.

One command per diagnostic::

    ::error file=vllm.yaml,line=3,col=23,endLine=3,endColumn=25,title=PL101 gpu-count::message

``warning`` stays ``::warning``; ``info`` becomes ``::notice``. The message carries the diagnostic's
details (related places, suggestion, fix) as further lines. Escaping follows the Actions toolkit
(``command.ts``): ``%``, CR and LF in the message, and additionally ``:`` and ``,`` in property
values. ``col`` and ``endColumn`` are left out when the range spans lines, because GitHub only
accepts them for single-line annotations.
"""

from __future__ import annotations

from collections.abc import Sequence

from parlint.linter.diagnostics import Diagnostic, Severity
from parlint.linter.reporters import detail_lines

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_DATA_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(_annotation(diagnostic) + "\n" for diagnostic in diagnostics)


def _annotation(diagnostic: Diagnostic) -> str:
    start, end = diagnostic.range.start, diagnostic.range.end
    properties: list[tuple[str, object]] = [("file", diagnostic.file), ("line", start.line)]
    if start.line == end.line:
        properties += [("col", start.column), ("endLine", end.line), ("endColumn", end.column)]
    else:
        properties.append(("endLine", end.line))
    properties.append(("title", f"{diagnostic.code} {diagnostic.name}"))
    rendered = ",".join(f"{key}={str(value).translate(_PROPERTY_ESCAPES)}" for key, value in properties)
    message = "\n".join([diagnostic.message, *detail_lines(diagnostic)])
    return f"::{_COMMAND[diagnostic.severity]} {rendered}::{message.translate(_DATA_ESCAPES)}"
