"""The human-readable ``text`` format.

One head line per diagnostic, ``path:line:col: CODE [severity] message``, then its details indented
by two spaces (``related: ...``, ``suggestion: ...``, ``fix (safe|unsafe|display-only): ...``), and
one closing summary line::

    1 error, 2 warnings in 2 files (5 files checked)
    0 errors, 1 warning, 3 info in 1 file (1 file checked)

The summary always names errors and warnings, names info only when there is some, and uses the
singular for exactly one ("1 error", "1 file"); "info" has no plural. ``quiet`` drops the summary.
Text that would span lines keeps the layout by indenting its continuation lines; control characters
coming from a config file are shown escaped (``\\x1b``) so they cannot drive the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from parlint.linter.diagnostics import Diagnostic, Severity
from parlint.linter.reporters import Summary, count, detail_lines, location

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY_COLOR = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[36m",
}
# Newline is handled by indentation; every other C0/C1 control (and DEL) is shown escaped.
_ESCAPE_CONTROLS = {
    code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if code != 0x0A
}
_DETAIL_INDENT = "  "
_CONTINUATION_INDENT = "    "


def render(diagnostics: Sequence[Diagnostic], summary: Summary, *, color: bool, quiet: bool) -> str:
    lines: list[str] = []
    for diagnostic in diagnostics:
        lines.append(_head_line(diagnostic, color))
        lines.extend(_DETAIL_INDENT + _visible(detail) for detail in detail_lines(diagnostic))
    if not quiet:
        summary_line = _summary_line(diagnostics, summary)
        lines.append(f"{_BOLD}{summary_line}{_RESET}" if color else summary_line)
    return "".join(line + "\n" for line in lines)


def _summary_line(diagnostics: Sequence[Diagnostic], summary: Summary) -> str:
    counts = count(diagnostics)
    parts = [_plural(counts.errors, "error"), _plural(counts.warnings, "warning")]
    if counts.infos:
        parts.append(f"{counts.infos} info")
    files = _plural(counts.files_with_diagnostics, "file")
    return f"{', '.join(parts)} in {files} ({_plural(summary.files_checked, 'file')} checked)"


def _head_line(diagnostic: Diagnostic, color: bool) -> str:
    where = _visible(location(diagnostic.file, diagnostic.range.start))
    severity = diagnostic.severity.value
    message = _visible(diagnostic.message)
    if not color:
        return f"{where}: {diagnostic.code} [{severity}] {message}"
    tint = _SEVERITY_COLOR[diagnostic.severity]
    return (
        f"{_BOLD}{where}:{_RESET} {tint}{_BOLD}{diagnostic.code}{_RESET} "
        f"{tint}[{severity}]{_RESET} {message}"
    )


def _visible(text: str) -> str:
    return text.translate(_ESCAPE_CONTROLS).replace("\n", "\n" + _CONTINUATION_INDENT)


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
