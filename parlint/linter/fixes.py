"""Applying fixes: exact span edits, safe or unsafe, written atomically, and the edit helpers rules call.

A :class:`parlint.linter.diagnostics.Fix` is a set of :class:`Edit` s (range replacements in the
diagnostic's file). ``--fix`` applies the ``safe`` ones, ``--unsafe-fixes`` the ``unsafe`` ones too
(``display-only`` fixes are never applied), Ruff's model (``shared/reference/linter-conventions.md`` A.8).
Edits are exact spans, so comments, key order, quoting and formatting outside them stay as they were.

:func:`fix_text` lints, applies every fix whose edits do not overlap an earlier one, and lints again
until nothing changes (at most :data:`MAX_PASSES` passes). A file that did not parse (PL001) is never
edited. :func:`write_atomic` writes through a temporary file in the same directory, ``fsync`` and
``os.replace``, keeping the file's mode and owner, so a run killed at any moment leaves each file fully
old or fully new. It edits a symlinked file at its target, and refuses (:class:`WriteRefused`) a
read-only file and a file that changed on disk since parlint read it.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from parlint.linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Range

MAX_PASSES = 4
PARSE_ERROR = "PL001"


class EditConflict(ValueError):
    """Two edits of one fix overlap."""


# --------------------------------------------------------------------------------------------------
# Helpers for rules: the edits are built from the Sourced ranges the adapters recorded.


def replace_value(at: Any, new_text: str) -> Edit:
    """Replace the value written at ``at`` (a :class:`parlint.linter.plan.Sourced` or a :class:`Range`)."""
    where = at if isinstance(at, Range) else at.range
    return Edit(where, new_text)


def rename_key(key_range: Range, new_key: str) -> Edit:
    """Replace the key spelled at ``key_range`` (e.g. a :class:`parlint.linter.plan.KeyNote`'s range)."""
    return Edit(key_range, new_key)


def key_column(at: Any) -> int:
    """The column of the key whose value is ``at`` in a ``key: value`` line, from the value's column and the
    key's spelling (1 when it cannot be told)."""
    spelling = str(getattr(at, "spelling", "") or "")
    column = int(at.range.start.column) - len(spelling) - 2
    return column if spelling and column >= 1 else 1


def key_range(at: Any) -> Range:
    """The range of the key whose value is ``at`` (see :func:`key_column`)."""
    column = key_column(at)
    line = int(at.range.start.line)
    return Range(Position(line, column), Position(line, column + len(str(at.spelling))))


def insert_sibling_after(at: Any, key: str, value: str) -> Edit:
    """Insert the line ``key: value`` after the line of the value ``at``, with the same indentation as ``at``'s
    key (a sibling in the same mapping); a trailing comment stays on its own line."""
    line = int(at.range.end.line) + 1
    return Edit(Range(Position(line, 1), Position(line, 1)), " " * (key_column(at) - 1) + f"{key}: {value}\n")


_BLOCK_SCALAR_HEADER = re.compile(r"(?:^\s*-|:)\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _in_block_scalar(lines: Sequence[str], number: int) -> bool:
    """Line ``number`` (1-based) is inside a YAML block scalar (``|``/``>``): a comment line there is script."""
    indent = _indentation(lines[number - 1])
    for previous in range(number - 1, 0, -1):
        line = lines[previous - 1].rstrip("\r")
        if line.strip() and _indentation(line) < indent:
            return bool(_BLOCK_SCALAR_HEADER.search(line))
    return False


def continuation_fix(text: str, backslash: Range, *, yaml_file: bool) -> Fix | None:
    """Repair the line continuation whose ``\\`` is at ``backslash`` (PL902).

    Only spaces after the ``\\``: they are deleted (safe: an invisible character can only have been meant
    as the end of the line). A comment after it: the comment moves to a line of its own above the
    command's first line, with that line's indentation, and the ``\\`` ends its line again. That is
    unsafe: it is what the author meant, but the shell then passes the flags it dropped before, so the
    command starts differently. In a YAML file the comment moves only inside a block scalar (``|``), where a
    comment line is part of the script; None elsewhere."""
    lines = text.split("\n")
    number, column = backslash.start.line, backslash.start.column
    if not 1 <= number <= len(lines):
        return None
    line = lines[number - 1].rstrip("\r")
    if line[column - 1:column] != "\\" or not line[column:]:
        return None
    rest = line[column:].lstrip(" \t")
    delete = Edit(Range(Position(number, column + 1), Position(number, len(line) + 1)), "")
    if not rest:
        return Fix(Applicability.SAFE, "delete the whitespace after the `\\`", (delete,))
    if not rest.startswith("#"):
        return None
    first = number
    while first > 1 and lines[first - 2].rstrip("\r").endswith("\\"):
        first -= 1
    if yaml_file and not _in_block_scalar(lines, first):
        return None
    head = lines[first - 1]
    comment = head[:_indentation(head)] + rest.rstrip(" \t") + "\n"
    return Fix(Applicability.UNSAFE, "move the comment above the command so the `\\` continues the line",
               (Edit(Range(Position(first, 1), Position(first, 1)), comment), delete))


_FLAG_BEFORE = (
    re.compile(r"(?P<flag>--[A-Za-z0-9_.-]+)=$"),  # --dp-size=8
    re.compile(r"(?P<quote>['\"]?)(?P<flag>--[A-Za-z0-9_.-]+)(?P=quote)\s*,\s*$"),  # ["--dp-size", "8"]
    re.compile(r"(?:^|\s)(?P<quote>['\"]?)(?P<flag>--[A-Za-z0-9_.-]+)(?P=quote)\s+$"),  # --dp-size 8
)
_BLOCK_FLAG_ITEM = re.compile(r"^\s*-\s+(?P<quote>['\"]?)(?P<flag>--[A-Za-z0-9_.-]+)(?P=quote)\s*(?:#.*)?$")
_ALONE_ON_CONTINUED_LINE = re.compile(r"^\s*$")
_CONTINUATION_REST = re.compile(r"^\s*\\$")


def flag_before(text: str, value: Any) -> tuple[Range, str] | None:
    """The range and spelling of the flag written just before the value token ``value`` in a command: the
    same word (``--dp-size=8``), the previous shell word or flow-list item, or the previous block-list item."""
    found = written_token(text, value)
    line = _line(text, found[0].start.line) if found else None
    if found is None or line is None:
        return None
    where = found[0]
    before = line[:where.start.column - 1]
    number = where.start.line
    for pattern in _FLAG_BEFORE:
        match = pattern.search(before)
        if match:
            return Range(Position(number, match.start("flag") + 1), Position(number, match.end("flag") + 1)), \
                match.group("flag")
    previous = _line(text, number - 1) if _BLOCK_ITEM.match(before) else None
    match = _BLOCK_FLAG_ITEM.match(previous) if previous is not None else None
    if match is None:
        return None
    return Range(Position(number - 1, match.start("flag") + 1), Position(number - 1, match.end("flag") + 1)), \
        match.group("flag")


def rename_flag(text: str, at: Any, spelling: str, new_flag: str) -> Edit | None:
    """Respell the flag ``spelling`` written at ``at`` (a word such as ``--tp_size`` or ``"--tp_size=8"``)
    as ``new_flag``, leaving its quotes and ``=value`` as they are; None when the text there differs."""
    found = written_token(text, at)
    line = _line(text, found[0].start.line) if found else None
    if found is None or line is None:
        return None
    where, quote = found
    start = where.start.column - 1 + len(quote)
    rest = line[start + len(spelling):where.end.column - 1 - len(quote)]
    if line[start:start + len(spelling)] != spelling or (rest and not rest.startswith("=")):
        return None
    number = where.start.line
    return Edit(Range(Position(number, start + 1), Position(number, start + 1 + len(spelling))), new_flag)


def delete_word(text: str, at: Any) -> Edit | None:
    """Remove the command-line word at ``at`` (a switch such as ``--enable-dp-attention``) with its
    separator: a block-list item's line, a flow-list item and its comma, a shell word and the spaces before
    it, or a line that holds only that word and its ``\\``. None for a word inside a longer token."""
    found = written_token(text, at)
    line = _line(text, found[0].start.line) if found else None
    if found is None or line is None:
        return None
    where = found[0]
    number = where.start.line
    before, after = line[:where.start.column - 1], line[where.end.column - 1:]
    whole_line = Range(Position(number, 1), Position(number + 1, 1))
    if (_BLOCK_ITEM.match(before) and _REST_OF_LINE.fullmatch(after)) or \
            (_ALONE_ON_CONTINUED_LINE.match(before) and _CONTINUATION_REST.match(after)):
        return Edit(whole_line, "")
    comma = re.search(r"\s*,\s*$", before)
    if comma and _FLOW_ITEM_AFTER.match(after):
        return Edit(Range(Position(number, comma.start() + 1), where.end), "")
    following = re.match(r"\s*,\s*", after)
    if re.search(r"\[\s*$", before) and following:
        return Edit(Range(where.start, Position(number, where.end.column + following.end())), "")
    spaces = re.search(r"[ \t]+$", before)
    if spaces and (not after or after[0] in " \t\"'"):
        return Edit(Range(Position(number, spaces.start() + 1), where.end), "")
    return None


GPU_REQUEST_SPELLINGS = frozenset({"nvidia.com/gpu", "amd.com/gpu", "requestGPU", "count", "accelerators"})
"""GPU counts a fix may align (Sourced spellings the launch readers give them): a Kubernetes container's
resource limit (its request too), production-stack ``requestGPU``, a compose device ``count`` and a
SkyPilot ``accelerators: NAME:N``."""
_ACCELERATORS = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*:\s*(?P<count>[0-9]+)$")
_ACCELERATORS_KEY = re.compile(r"^\s*accelerators\s*:\s*['\"]?$")


def gpu_request_fix(text: str, count: Any, needed: int) -> Fix | None:
    """Edits that make the GPU count written at ``count`` (a :class:`parlint.linter.plan.Sourced`) read
    ``needed``: a Kubernetes ``nvidia.com/gpu`` limit together with every other count of the same resource
    in that container's ``resources`` (a request must equal the limit), production-stack ``requestGPU``, a
    compose ``count``, or the count of a single SkyPilot ``accelerators: H100:8`` (never one of several
    alternatives). Unsafe: it changes GPU counts. None when a count is not a plain number as parsed."""
    spelling = str(count.spelling)
    if spelling not in GPU_REQUEST_SPELLINGS or count.value == needed:
        return None
    description = f"request {needed} GPU{'' if needed == 1 else 's'}"
    if spelling == "accelerators":
        return _accelerator_fix(text, count, needed, description)
    first = replace_token(text, count, str(needed), str(count.value))
    if first is None:
        return None
    edits = [first]
    if "/" in spelling:
        others = _resource_counts(text, count, spelling)
        if others is None:
            return None
        for other in others:
            edit = replace_token(text, other, str(needed), str(count.value))
            if edit is None:
                return None  # a request that differs from the limit: the user must decide
            edits.append(edit)
    return Fix(Applicability.UNSAFE, description, tuple(edits))


def _accelerator_fix(text: str, count: Any, needed: int, description: str) -> Fix | None:
    found = written_token(text, count)
    line = _line(text, count.range.start.line)
    if found is None or line is None:
        return None
    where, quote = found
    token = line[where.start.column - 1 + len(quote):where.end.column - 1 - len(quote)]
    match = _ACCELERATORS.match(token)
    if match is None or int(match.group("count")) != count.value or \
            not _ACCELERATORS_KEY.match(line[:where.start.column - 1 + len(quote)]):
        return None  # alternatives (a list, a mapping, ``{4,8}``) keep their own counts
    column = where.start.column + len(quote) + match.start("count")
    return Fix(Applicability.UNSAFE, description,
               (Edit(Range(Position(where.start.line, column),
                           Position(where.start.line, column + len(match.group("count")))), str(needed)),))


def _resource_counts(text: str, count: Any, resource: str) -> list[Range] | None:
    """The other values of ``resource`` in the ``resources:`` mapping around the count at ``count``
    (requests beside limits), found by indentation; None when that mapping cannot be told."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    number = count.range.start.line
    pattern = re.compile(re.escape(resource) + r"['\"]?\s*:\s*['\"]?(?P<value>[^\s,}'\"#]+)")
    top = number
    while top >= 1 and not re.match(r"^\s*resources\s*:", lines[top - 1]):
        top -= 1
    if top < 1:
        return None
    indent = _indentation(lines[top - 1])
    bottom = top
    while bottom < len(lines) and (not lines[bottom].strip() or _indentation(lines[bottom]) > indent):
        bottom += 1
    if number > bottom:
        return None
    found = []
    for line_number in range(top, bottom + 1):
        for match in pattern.finditer(lines[line_number - 1]):
            where = Range(Position(line_number, match.start("value") + 1),
                          Position(line_number, match.end("value") + 1))
            if not (where.start <= count.range.start < where.end or count.range.start <= where.start < count.range.end):
                found.append(where)
    return found


def fix(applicability: Applicability, description: str, *edits: Edit) -> Fix:
    return Fix(applicability, description, tuple(edits))


EDITABLE_DIALECTS = frozenset({"vllm-config-yaml", "sglang-config-yaml", "trtllm-config-yaml"})
"""Flat YAML configs: one ``key: value`` per line, so values can be replaced and sibling keys inserted."""

COMMAND_DIALECTS = frozenset({"shell", "slurm", "markdown", "dockerfile", "kubernetes", "compose", "skypilot",
                              "github-actions"})
"""Launch files whose values are words of a command: flags can be added after a value
(:func:`insert_flags_after`)."""
LAUNCH_DIALECTS = COMMAND_DIALECTS | {"helm-production-stack", "kserve-llmisvc", "python-call"}
"""Launch files (:mod:`parlint.linter.launch`): values are replaced token by token (:func:`replace_token`),
only with the file's text at hand (``DeclaredPlan.source_text``)."""

_QUOTES = "'\""
_FLOW_ITEM_BEFORE = re.compile(r"[\[,]\s*$")
_FLOW_ITEM_AFTER = re.compile(r"^\s*[\],]")
_BLOCK_ITEM = re.compile(r"^(?P<indent>\s*)-\s+$")
_REST_OF_LINE = re.compile(r"\s*(?:#.*)?")
_INLINE_ITEM = re.compile(r"(?:^\s*-\s+|[\[,]\s*)['\"]?[^\s'\",\[\]]*$")
_PLAIN_TOKEN = re.compile(r"^[^\s'\"\\$`]+$")


def _line(text: str, number: int) -> str | None:
    lines = _split_lines(text)
    return lines[number - 1].rstrip("\r") if 1 <= number <= len(lines) else None


@lru_cache(maxsize=1)
def _split_lines(text: str) -> tuple[str, ...]:
    """The lines of the text being fixed, split once: every fix of every document asks for one of them,
    and splitting per call made a file of thousands of documents cost time quadratic in its length."""
    return tuple(text.split("\n"))


def written_token(text: str, at: Any) -> tuple[Range, str] | None:
    """The token ``at`` (a :class:`parlint.linter.plan.Sourced` or :class:`Range`) was written as, with the
    quotes around it (a YAML value range excludes a list item's quotes, a shell word's includes them), and
    the quote character ("" for a plain token). None when it spans lines or is not one plain word."""
    where = at if isinstance(at, Range) else at.range
    line = _line(text, where.start.line) if where.start.line == where.end.line else None
    if line is None or where.end.column > len(line) + 1 or where.start.column >= where.end.column:
        return None
    start, end = where.start.column - 1, where.end.column - 1
    if start > 0 and end < len(line) and line[start - 1] == line[end] and line[end] in _QUOTES:
        start, end = start - 1, end + 1
    token = line[start:end]
    quote = token[0] if len(token) >= 2 and token[0] == token[-1] and token[0] in _QUOTES else ""
    inner = token[1:-1] if quote else token
    if not _PLAIN_TOKEN.match(inner):
        return None
    return Range(Position(where.start.line, start + 1), Position(where.start.line, end + 1)), quote


def replace_token(text: str, at: Any, new_text: str, expected: str | None = None) -> Edit | None:
    """Replace exactly the token written at ``at``, wherever it came from (a YAML scalar, a quoted
    ``args`` item, a shell word in a script or a block scalar), keeping its quotes: ``"6"`` becomes
    ``"8"``, ``6`` becomes ``8``. None when the token is not one plain word (an expansion, an escape) or,
    with ``expected``, when it does not read ``expected`` (the value came from a variable)."""
    found = written_token(text, at)
    if found is None:
        return None
    where, quote = found
    inside = len(quote)
    line = _line(text, where.start.line) or ""
    if expected is not None and line[where.start.column - 1 + inside:where.end.column - 1 - inside] != expected:
        return None
    return Edit(Range(Position(where.start.line, where.start.column + inside),
                      Position(where.end.line, where.end.column - inside)), new_text)


def _item(word: str, quote: str) -> str:
    """A list item in the list's quotes; a number is quoted in a plain list too, so it stays a string."""
    mark = quote or ('"' if word.isdigit() else "")
    return f"{mark}{word}{mark}"


def insert_flags_after(text: str, at: Any, words: Sequence[str]) -> Edit | None:
    """Add the command-line ``words`` (e.g. ``["--ep-size", "8"]``) to the command right after the value
    token at ``at``: on the same line in a shell command; as new items of a YAML or JSON list in that
    list's style: ``, "--ep-size", "8"`` in a flow list ``[...]`` (or a Dockerfile exec form), new
    ``- "--ep-size"`` lines with the item's indentation in a block list. List items keep the list's
    quotes; numbers are quoted even in a plain list (Kubernetes ``args`` must be strings)."""
    found = written_token(text, at)
    line = _line(text, found[0].start.line) if found else None
    if found is None or line is None:
        return None
    where, quote = found
    before, after = line[:where.start.column - 1], line[where.end.column - 1:]
    block = _BLOCK_ITEM.match(before)
    if block and _REST_OF_LINE.fullmatch(after):
        lines = "".join(f"{block.group('indent')}- {_item(word, quote)}\n" for word in words)
        return Edit(Range(Position(where.start.line + 1, 1), Position(where.start.line + 1, 1)), lines)
    if _FLOW_ITEM_BEFORE.search(before) and _FLOW_ITEM_AFTER.match(after):
        return Edit(Range(where.end, where.end), "".join(f", {_item(word, quote)}" for word in words))
    if _INLINE_ITEM.search(before):
        return None  # a list item holding the flag and its value (``- "--tp=8"``): one argument, not a script
    return Edit(Range(where.end, where.end), "".join(f" {word}" for word in words))


def _yaml_scalar(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def settings_fix(plan: Any, at: Any, settings: dict[str, Any], applicability: Applicability,
                 description: str) -> Fix | None:
    """Edits that make ``plan`` (a :class:`parlint.linter.plan.DeclaredPlan`) declare ``settings`` (canonical
    names), in the file's own dialect. A written value is replaced in place (:func:`replace_token`, quotes
    kept). A missing setting is added beside the value ``at``: in a flat YAML config as a sibling key with
    the engine's spelling (:func:`parlint.linter.emit.config_key`) and ``at``'s key indentation; in a launch
    command as the engine's long flag right after ``at``'s value token (:func:`insert_flags_after`).
    None where the dialect cannot be edited, a value sits in another file (a ``--config`` file merged into
    a command), a token is not plain text, or nothing changes."""
    from parlint.linter.adapters.flags import ENGINES

    text = str(getattr(plan, "source_text", "") or "")
    launch = plan.dialect in LAUNCH_DIALECTS
    if at is None or not (plan.dialect in EDITABLE_DIALECTS or (launch and text)) or plan.engine not in ENGINES:
        return None
    table = ENGINES[plan.engine]
    underscores = "_" in str(at.spelling) and "-" not in str(at.spelling)
    edits: list[Edit] = []
    added: list[tuple[str, Any]] = []
    for name, value in settings.items():
        written = plan.source(name)
        if written is None:
            added.append((name, value))
        elif written.value != value:
            if written.file != plan.file or (launch and isinstance(value, bool)):
                return None  # a switch on a command line is a flag, not a value to rewrite
            edit = replace_token(text, written, _yaml_scalar(value), _yaml_scalar(written.value)) if text \
                else replace_value(written, _yaml_scalar(value))
            if edit is None:
                return None
            edits.append(edit)
    if added:  # one insertion point: one edit, so the edits never overlap
        if launch and plan.dialect not in COMMAND_DIALECTS:
            return None  # Helm values and Python calls have no command line to add a flag to
        insertion = _launch_insertion(table, text, at, added) if launch else \
            _config_insertion(table, at, added, underscores)
        if insertion is None or at.file != plan.file:
            return None
        edits.append(insertion)
    return Fix(applicability, description, tuple(edits)) if edits else None


def _config_insertion(table: Any, at: Any, added: list[tuple[str, Any]], underscores: bool) -> Edit | None:
    from parlint.linter.emit import config_key

    lines = []
    for name, value in added:
        try:
            key = config_key(table, name)
        except KeyError:
            return None
        lines.append(insert_sibling_after(at, key.replace("-", "_") if underscores else key, _yaml_scalar(value)))
    return Edit(lines[0].range, "".join(edit.new_text for edit in lines))


_BROKEN_CONTINUATION = re.compile(r"\\[ \t]+(?:#.*)?$|\\#.*$")


def _ends_broken(text: str, number: int) -> bool:
    """The command holding line ``number`` ends in a broken continuation (``\\`` then spaces or a comment):
    the flags after it are lost, and restoring them (PL902's fix) may already add what a rule misses."""
    lines = text.split("\n")
    while number <= len(lines) and lines[number - 1].rstrip("\r").endswith("\\"):
        number += 1
    return number <= len(lines) and bool(_BROKEN_CONTINUATION.search(lines[number - 1].rstrip("\r")))


def _launch_insertion(table: Any, text: str, at: Any, added: list[tuple[str, Any]]) -> Edit | None:
    """The engine's long flags for ``added``: a switch when true (``--enable-expert-parallel``), else the flag
    and its value (``--ep-size 8``). None while the command's continuation is broken (fixed first)."""
    if _ends_broken(text, at.range.end.line):
        return None
    words: list[str] = []
    for name, value in added:
        flag = next((flag for flag in table.flags if flag.setting == name and not flag.deprecated
                     and not flag.removed), None)
        if flag is None or not flag.cli or value is False:
            return None  # a key with no command-line option (TensorRT-LLM ``moe_tensor_parallel_size``)
        words += [flag.long] if value is True else [flag.long, _yaml_scalar(value)]
    return insert_flags_after(text, at, words)


# --------------------------------------------------------------------------------------------------
# Applying edits


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _offset(text: str, starts: list[int], position: Position) -> int:
    if position.line > len(starts):
        return len(text)
    start = starts[position.line - 1]
    end = starts[position.line] - 1 if position.line < len(starts) else len(text)
    return min(start + max(position.column - 1, 0), end)


def _spans(text: str, edits: Iterable[Edit]) -> list[tuple[int, int, str]]:
    starts = _line_starts(text)
    spans = []
    for edit in edits:
        start, end = _offset(text, starts, edit.range.start), _offset(text, starts, edit.range.end)
        new_text = edit.new_text
        beyond_last_line = edit.range.start.line > len(starts) - (1 if text.endswith("\n") else 0)
        if start == len(text) and text and not text.endswith("\n") and beyond_last_line:
            new_text = "\n" + new_text  # inserting a line after a last line that has no newline
        spans.append((start, max(end, start), new_text))
    return sorted(spans, key=lambda span: (span[0], span[1]))


def _overlaps(spans: Sequence[tuple[int, int, str]]) -> bool:
    return any(later[0] < earlier[1] or (later[0] == earlier[0] and later[0] == later[1] == earlier[1])
               for earlier, later in itertools.pairwise(spans))


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with every edit applied (positions refer to ``text``); overlapping edits raise
    :class:`EditConflict`."""
    spans = _spans(text, edits)
    if _overlaps(spans):
        raise EditConflict("edits overlap")
    pieces, cursor = [], 0
    for start, end, new_text in spans:
        pieces.append(text[cursor:start])
        pieces.append(new_text)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def applicable(fix_: Fix | None, *, unsafe: bool) -> bool:
    if fix_ is None or not fix_.edits:
        return False
    if fix_.applicability is Applicability.SAFE:
        return True
    return unsafe and fix_.applicability is Applicability.UNSAFE


def choose_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool) -> list[Diagnostic]:
    """The diagnostics whose fixes apply together: in file order, a fix that overlaps one already chosen
    waits for the next pass (after re-linting, its diagnostic may be gone or its edits moved)."""
    chosen: list[Diagnostic] = []
    taken: list[tuple[int, int, str]] = []
    seen: set[tuple[tuple[Edit, ...], str]] = set()
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        fix_ = diagnostic.fix
        if fix_ is None or not applicable(fix_, unsafe=unsafe):
            continue
        identity = (fix_.edits, fix_.description)
        if identity in seen:  # two rules proposing the same edit
            continue
        spans = _spans(text, fix_.edits)
        if _overlaps(spans) or _overlaps(sorted(taken + spans, key=lambda span: (span[0], span[1]))):
            continue
        seen.add(identity)
        taken.extend(spans)
        chosen.append(diagnostic)
    return chosen


@dataclass
class FixOutcome:
    """The fixed text and the diagnostics whose fixes were applied (over every pass)."""

    original: str
    text: str
    applied: list[Diagnostic] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    unparsable: bool = False

    @property
    def changed(self) -> bool:
        return self.text != self.original


def fix_text(text: str, lint: Callable[[str], list[Diagnostic]], *, unsafe: bool) -> FixOutcome:
    """Lint ``text`` with ``lint``, apply the chosen fixes, lint again; stop when nothing applies."""
    outcome = FixOutcome(text, text)
    diagnostics = lint(text)
    for _ in range(MAX_PASSES):
        if any(diagnostic.code == PARSE_ERROR for diagnostic in diagnostics):
            outcome.unparsable = outcome.text == text
            break
        chosen = choose_fixes(outcome.text, diagnostics, unsafe=unsafe)
        if not chosen:
            break
        edits = [edit for diagnostic in chosen for edit in diagnostic.fix.edits]  # type: ignore[union-attr]
        fixed = apply_edits(outcome.text, edits)
        after = lint(fixed)
        if any(diagnostic.code == PARSE_ERROR for diagnostic in after) or fixed == outcome.text:
            break  # a fix must never break the file
        outcome.text, diagnostics = fixed, after
        outcome.applied.extend(chosen)
    outcome.remaining = diagnostics
    return outcome


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class WriteRefused(Exception):
    """The file was left as it was; the message says why."""


def write_atomic(path: str, text: str, *, bom: bool = False, expected: bytes | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8, the BOM kept when the file had one): a temporary file in the
    same directory, flushed to disk, renamed over the original, with the original's mode and owner.

    A symlink is followed and its target replaced (the link stays). Refused with :class:`WriteRefused`:
    a read-only file, a file whose owner cannot be kept, and, when ``expected`` is given, a file whose
    bytes differ from it just before the rename (someone saved it meanwhile).
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    status = os.stat(target)
    if not status.st_mode & 0o222:
        raise WriteRefused("read-only file: not fixed")
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=".parlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        if hasattr(os, "chown") and (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(temporary, status.st_uid, status.st_gid)
            except PermissionError as error:
                raise WriteRefused("owned by another user, whose ownership parlint cannot keep: not fixed") from error
        os.chmod(temporary, status.st_mode & 0o7777)  # after chown, which clears set-id bits
        if expected is not None:
            with open(target, "rb") as current:
                if current.read() != expected:
                    raise WriteRefused("changed on disk while parlint was fixing it: not overwritten")
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); some platforms cannot open a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@dataclass
class FileFix:
    path: str
    outcome: FixOutcome | None  # None: left alone (not a UTF-8 text file, or ``refused`` says why)
    diagnostics: list[Diagnostic]
    refused: str = ""


def fix_file(path: str, lint: Callable[[str], list[Diagnostic]], *, unsafe: bool, write: bool) -> FileFix:
    """Fix one UTF-8 file in place (``write``) or only compute the fixed text (``--diff``)."""
    import codecs

    from parlint.linter.runner import decode

    with open(path, "rb") as stream:
        data = stream.read()
    text, _ = decode(data)
    if text is None or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return FileFix(path, None, lint(text) if text is not None else [])
    outcome = fix_text(text, lint, unsafe=unsafe)
    if write and outcome.changed and not outcome.unparsable:
        try:
            write_atomic(path, outcome.text, bom=data.startswith(codecs.BOM_UTF8), expected=data)
        except WriteRefused as refusal:
            return FileFix(path, None, lint(text), str(refusal))
        except OSError as error:
            return FileFix(path, None, lint(text), f"cannot write: {error.strerror or error}: not fixed")
    return FileFix(path, outcome, outcome.remaining)
