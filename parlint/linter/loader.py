"""Load YAML and JSON files into plain data plus a source map with positions.

Data flows one way: this module turns bytes into documents (plain Python data) and a
:class:`SourceMap` from JSON pointers to ranges. It never judges a configuration; problems that stop
a file from being read (syntax, duplicate keys, merge-conflict markers, hostile structure) come back
as :class:`LoadProblem` values, which the PL001 rule reports.

YAML is composed with PyYAML's libyaml-backed ``CSafeLoader`` when available (only safe tags are
constructed). JSON data comes from :mod:`json` (strict, exact numbers); its positions come from the
same YAML composer, since every JSON text that :mod:`json` accepts is also read by libyaml.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from parlint.linter.diagnostics import FILE_START, Position, Range

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAX_NESTING = 1000
"""Deeper nesting is refused: libyaml's composer recurses in C and crashes on very deep input."""

MAX_NODES = 1_000_000
"""Position mapping stops after this many nodes; larger documents are refused as hostile."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)
_FLOW_BRACKET = re.compile(r"[\[\]{}]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EXOTIC_BREAKS = ("\x85", "\u2028", "\u2029")


@dataclass
class SourceMap:
    """JSON pointer (RFC 6901, relative to one document) to the ranges of its key and value."""

    values: dict[str, Range] = field(default_factory=dict)
    keys: dict[str, Range] = field(default_factory=dict)

    def value(self, pointer: str) -> Range:
        """Range of the value at ``pointer``, or of its nearest mapped ancestor."""
        return self.values.get(pointer) or self.values.get(_nearest(pointer, self.values)) or FILE_START

    def key(self, pointer: str) -> Range:
        """Range of the key that names ``pointer`` (falls back to the value's range)."""
        return self.keys.get(pointer) or self.value(pointer)

    def member(self, pointer: str) -> Range:
        """From the start of the key to the end of the value: the whole ``key: value`` member."""
        key, value = self.keys.get(pointer), self.values.get(pointer)
        if key and value:
            return Range(key.start, value.end)
        return self.value(pointer)


@dataclass
class Document:
    data: Any
    source_map: SourceMap
    index: int = 0


@dataclass(frozen=True)
class LoadProblem:
    message: str
    range: Range


@dataclass
class LoadedFile:
    """One file as text and as documents. ``problems`` non-empty means the file could not be fully read."""

    path: str
    text: str
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def escape_pointer_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, token: object) -> str:
    return f"{parent}/{escape_pointer_token(token)}"


def _nearest(pointer: str, known: dict[str, Range]) -> str:
    while pointer:
        pointer = pointer.rsplit("/", 1)[0]
        if pointer in known:
            return pointer
    return ""


class _Lines:
    """Editor positions of a text: lines end at ``\\r\\n``, ``\\r`` or ``\\n`` (as LSP and editors count them).

    libyaml agrees except that it also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR (YAML
    1.1); in a text holding one of those, its marks are converted from their character index instead.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._exotic = any(char in text for char in _EXOTIC_BREAKS)
        self._starts: list[int] | None = None

    def at_index(self, index: int) -> Position:
        if self._starts is None:
            self._starts = [0, *(match.end() for match in _LINE_BREAK.finditer(self.text))]
        line = bisect.bisect_right(self._starts, index) - 1
        return Position(line + 1, index - self._starts[line] + 1)

    def at_mark(self, mark: Any) -> Position:
        return self.at_index(mark.index) if self._exotic else Position(mark.line + 1, mark.column + 1)

    def node(self, node: yaml.Node) -> Range:
        return Range(self.at_mark(node.start_mark), self.at_mark(node.end_mark))

    def point(self, index: int) -> Range:
        """The character at ``index``; an empty range at a line's or the file's end."""
        start = self.at_index(index)
        width = 0 if self.text[index: index + 1] in ("", "\n", "\r") else 1
        return Range(start, Position(start.line, start.column + width))


def conflict_markers(text: str) -> Iterator[LoadProblem]:
    for match in _CONFLICT_MARKER.finditer(text):
        line = _Lines(text).at_index(match.start()).line
        yield LoadProblem(
            f"merge-conflict marker {match.group(1)!r}: resolve the conflict before the file can be read",
            Range.of(line, 1, line, 8),
        )


def _too_deep(text: str) -> LoadProblem | None:
    """Refuse flow nesting deeper than :data:`MAX_NESTING` before libyaml sees it."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth = 0
    for match in _FLOW_BRACKET.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_NESTING:
            return LoadProblem(
                f"nesting deeper than {MAX_NESTING} levels: refused as hostile input",
                _Lines(text).point(match.start()),
            )
    return None


class _Mapper:
    """Walks a composed node tree once, recording ranges and duplicate keys.

    Each node is entered once: an alias is recorded at its own position but not expanded again, so
    alias bombs cost no more than their text.
    """

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.source_map = SourceMap()
        self.problems: list[LoadProblem] = []
        self._entered: set[int] = set()
        self._count = 0

    def run(self, root: yaml.Node) -> None:
        stack: list[tuple[yaml.Node, str]] = [(root, "")]
        while stack:
            node, pointer = stack.pop()
            self.source_map.values.setdefault(pointer, self.lines.node(node))
            if id(node) in self._entered:
                continue
            self._entered.add(id(node))
            self._count += 1
            if self._count > MAX_NODES:
                raise _Hostile(f"more than {MAX_NODES} nodes: refused as hostile input", self.lines.node(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend((item, join_pointer(pointer, index)) for index, item in enumerate(node.value))
            elif isinstance(node, yaml.MappingNode):
                stack.extend(self._members(node, pointer))

    def _members(self, node: yaml.MappingNode, pointer: str) -> list[tuple[yaml.Node, str]]:
        children: list[tuple[yaml.Node, str]] = []
        seen: dict[str, yaml.Node] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                merged.extend(source for source in sources if isinstance(source, yaml.MappingNode))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            if key in seen:
                first = self.lines.at_mark(seen[key].start_mark).line
                self.problems.append(
                    LoadProblem(f"duplicate key {key!r} (first defined on line {first})", self.lines.node(key_node))
                )
                continue
            seen[key] = key_node
            child = join_pointer(pointer, key)
            self.source_map.keys[child] = self.lines.node(key_node)
            children.append((value_node, child))
        for source in merged:
            for key_node, value_node in source.value:
                if isinstance(key_node, yaml.ScalarNode) and str(key_node.value) not in seen:
                    child = join_pointer(pointer, key_node.value)
                    self.source_map.keys.setdefault(child, self.lines.node(key_node))
                    self.source_map.values.setdefault(child, self.lines.node(value_node))
        return children


class _Hostile(Exception):
    def __init__(self, message: str, where: Range) -> None:
        super().__init__(message)
        self.problem = LoadProblem(message, where)


def _yaml_problem(error: yaml.YAMLError, text: str) -> LoadProblem:
    if isinstance(error, yaml.MarkedYAMLError):
        parts = [part for part in (error.context, error.problem) if part]
        message = "; ".join(parts) or str(error)
        mark = error.problem_mark or error.context_mark
        if mark is None:
            return LoadProblem(f"YAML syntax error: {message}", FILE_START)
        if text[mark.index: mark.index + 1] == "\t":
            message += " (a tab: YAML indents with spaces only)"
        return LoadProblem(f"YAML syntax error: {message}", _Lines(text).point(mark.index))
    return LoadProblem(f"YAML error: {error}", FILE_START)


def _compose(text: str) -> Iterator[yaml.Node]:
    loader = _SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def load_yaml(path: str, text: str) -> LoadedFile:
    loaded = LoadedFile(path, text)
    loaded.problems.extend(conflict_markers(text))
    deep = _too_deep(text)
    if deep:
        loaded.problems.append(deep)
    if loaded.problems:
        return loaded
    constructor = _SafeLoader("")
    lines = _Lines(text)
    try:
        for index, node in enumerate(_compose(text)):
            mapper = _Mapper(lines)
            mapper.run(node)
            loaded.problems.extend(mapper.problems)
            data = constructor.construct_document(node)
            loaded.documents.append(Document(data, mapper.source_map, index))
    except _Hostile as hostile:
        loaded.problems.append(hostile.problem)
    except yaml.YAMLError as error:
        loaded.problems.append(_yaml_problem(error, text))
    except (RecursionError, ValueError, TypeError, OverflowError) as error:
        loaded.problems.append(LoadProblem(f"YAML value cannot be read: {error}", FILE_START))
    finally:
        constructor.dispose()
    return loaded


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def load_json(path: str, text: str) -> LoadedFile:
    loaded = LoadedFile(path, text)
    loaded.problems.extend(conflict_markers(text))
    deep = _too_deep(text)
    if deep:
        loaded.problems.append(deep)
    if loaded.problems:
        return loaded
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey:
        # Re-read with the YAML composer to locate the duplicate precisely.
        duplicate = load_yaml(path, text)
        loaded.problems.extend(duplicate.problems or [LoadProblem("duplicate key in JSON object", FILE_START)])
        return loaded
    except json.JSONDecodeError as error:
        where = _Lines(text).point(error.pos)
        loaded.problems.append(LoadProblem(f"JSON syntax error: {error.msg}", where))
        return loaded
    except (RecursionError, ValueError) as error:
        loaded.problems.append(LoadProblem(f"JSON cannot be read: {error}", FILE_START))
        return loaded
    source_map = SourceMap()
    lines = _Lines(text)
    try:
        for node in _compose(text):
            mapper = _Mapper(lines)
            mapper.run(node)
            source_map = mapper.source_map
            break
    except (yaml.YAMLError, _Hostile, RecursionError):
        # Positions are a convenience here; valid JSON that libyaml cannot compose keeps its data.
        source_map = SourceMap()
    loaded.documents.append(Document(data, source_map))
    return loaded


def load_text(path: str, text: str) -> LoadedFile:
    """Load by file name: ``.json`` as JSON, everything else as YAML."""
    if path.lower().endswith(".json"):
        return load_json(path, text)
    return load_yaml(path, text)
