"""Split shell text embedded in a file (a ``bash -c`` word, a YAML scalar) with positions in that file.

The raw text is taken from the file itself, not from the parsed value, so every word keeps the line
and column where it was written: inside a YAML block scalar (``|``/``>``, indentation stripped
line by line), a quoted scalar, or a quoted shell word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from parlint.linter.diagnostics import Range
from parlint.linter.shell import LineMap, Script, split

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def text_lines(text: str) -> list[str]:
    """The file's lines as positions count them (``\r\n``, ``\r`` and ``\n`` end a line)."""
    return _LINE_BREAK.split(text)


def normalized(text: str) -> str:
    """``\r\n`` and ``\r`` as ``\n``: line breaks keep their line numbers and columns."""
    return _LINE_BREAK.sub("\n", text)


_KUBELET_REFERENCE = re.compile(r"\$\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)")


def script_at(lines: Sequence[str], where: Range, env: Mapping[str, str], *, yaml_scalar: bool,
              kubelet: bool = False) -> Script | None:
    """The shell script written at ``where`` (a quoted word or a YAML scalar), split with file positions.

    ``kubelet``: the text is a Kubernetes ``command``/``args`` item, where the kubelet replaces
    ``$(NAME)`` with the container's variable before the shell runs; it is read as ``${NAME}`` (same
    length, so positions hold) and expanded from ``env``.
    """
    start, end = where.start, where.end
    if not 1 <= start.line <= len(lines):
        return None
    if kubelet:
        lines = [_KUBELET_REFERENCE.sub(r"${\g<name>}", line) for line in lines[start.line - 1:end.line]]
        lines = [""] * (start.line - 1) + lines
    first = lines[start.line - 1][start.column - 1:]
    if yaml_scalar and first[:1] in ("|", ">"):
        return _block_scalar(lines, where, env, folded=first.startswith(">"))
    if start.line == end.line:
        raw = first[: end.column - start.column]
    else:
        last = lines[end.line - 1][: end.column - 1] if end.line <= len(lines) else ""
        raw = "\n".join([first, *lines[start.line:end.line - 1], last])
    offset = 0
    if len(raw) >= 2 and raw[0] in "'\"" and raw.rstrip()[-1:] == raw[0]:
        quote, raw, offset = raw[0], raw.rstrip()[1:-1], 1
        decoded = _double_quoted(raw) if yaml_scalar and quote == '"' and start.line == end.line else None
        if decoded is not None:
            text, shifts = decoded
            return split(text, lines=LineMap(((start.line, start.column + 1),), shifts), env=env,
                         newline_is_space=True)
    starts = ((start.line, start.column + offset), *((line, 1) for line in range(start.line + 1, end.line + 1)))
    return split(raw, lines=LineMap(starts), env=env, newline_is_space=yaml_scalar)


_YAML_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "t": "\t", " ": " "}


def _double_quoted(body: str) -> tuple[str, tuple[int, ...]] | None:
    """A one-line YAML double-quoted scalar as YAML hands it over (``\\"`` is ``"``), with the column
    shifts back to the file; None when it holds no escape, or one that changes the line structure."""
    if "\\" not in body:
        return None
    text: list[str] = []
    shifts: list[int] = []
    index = 0
    while index < len(body):
        if body[index] == "\\":
            replacement = _YAML_ESCAPES.get(body[index + 1: index + 2])
            if replacement is None:
                return None  # \n, \x41, \u00e9 ...: read as written, as before
            shifts.append(index - len(text))
            text.append(replacement)
            index += 2
            continue
        shifts.append(index - len(text))
        text.append(body[index])
        index += 1
    shifts.append(index - len(text))
    return "".join(text), tuple(shifts)


def _block_scalar(lines: Sequence[str], where: Range, env: Mapping[str, str], *, folded: bool) -> Script | None:
    first_line = where.start.line + 1
    last_line = min(where.end.line if where.end.column > 1 else where.end.line - 1, len(lines))
    body = list(lines[first_line - 1:last_line])
    while body and not body[-1].strip():
        body.pop()
    if not body:
        return None
    indent = min(len(line) - len(line.lstrip(" ")) for line in body if line.strip())
    fragment = "\n".join(line[indent:] for line in body)
    starts = tuple((first_line + number, indent + 1) for number in range(len(body)))
    return split(fragment, lines=LineMap(starts), env=env, newline_is_space=folded)
