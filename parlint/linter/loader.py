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
from yaml.constructor import SafeConstructor as _SafeConstructor

from parlint.linter.diagnostics import FILE_START, LoadProblem, Position, Range

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAX_NESTING = 1000
"""Deeper nesting is refused: libyaml's composer recurses in C and crashes on very deep input."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
# At a line start after any line break YAML knows (``^`` in MULTILINE mode sees only "\n").
_CONFLICT_MARKER = re.compile(r"(?:^|(?<=\r))(<{7}|={7}|>{7})(?= |\r|$)", re.MULTILINE)
_FLOW_BRACKET = re.compile(r"[\[\]{}]")
BLOCK_PREFIX_LIMIT = 4 * MAX_NESTING
"""A line's indentation and block indicators (``- - - x``) longer than this nest deeper than any real
file; PyYAML 6.0.3's composer crashes (segfault) on about 100,000 such levels."""
_DEEP_BLOCK = re.compile(rf"^(?:[ \t]|[-?:](?=[ \t])){{{BLOCK_PREFIX_LIMIT}}}", re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EXOTIC_BREAKS = ("\x85", "\u2028", "\u2029")


class SourceMap:
    """JSON pointer (RFC 6901, relative to one document) to the ranges of its key and value.

    Lazy: a pointer is resolved on first use by descending the composed node tree, so a file pays only
    for the positions its adapters ask for (most nodes of a manifest are never asked about). A pointer
    that does not exist resolves to its nearest existing ancestor.
    """

    def __init__(self, root: yaml.Node | None = None, lines: _Lines | None = None) -> None:
        self._root = root
        self._lines = lines
        self._found: dict[str, tuple[yaml.Node | None, yaml.Node | None, bool]] = {}
        self._members: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}  # per mapping node, built once

    def _find(self, pointer: str) -> tuple[yaml.Node | None, yaml.Node | None, bool]:
        """(key node, value node, exact) for ``pointer``, or for its deepest existing ancestor; each prefix is
        resolved once and reused by the pointers below it."""
        cached = self._found.get(pointer)
        if cached is not None:
            return cached
        if not pointer:
            found: tuple[yaml.Node | None, yaml.Node | None, bool] = (None, self._root, self._root is not None)
        else:
            parent, _, raw = pointer.rpartition("/")
            parent_key, parent_node, parent_exact = self._find(parent)
            child = None
            if parent_exact and parent_node is not None:
                child = self._child(parent_node, raw.replace("~1", "/").replace("~0", "~"))
            found = (child[0], child[1], True) if child else (parent_key, parent_node, False)
        self._found[pointer] = found
        return found

    def _child(self, node: yaml.Node, token: str) -> tuple[yaml.Node | None, yaml.Node] | None:
        """The member ``token`` of a mapping (the last spelling wins, as in the loaded data) or item ``token``
        of a sequence."""
        if isinstance(node, yaml.MappingNode):
            members = self._members.get(id(node))
            if members is None:
                members = self._members[id(node)] = {
                    str(key_node.value): (key_node, value_node)
                    for key_node, value_node in node.value
                    if key_node.tag != _MERGE_TAG and isinstance(key_node, yaml.ScalarNode)
                }
            found = members.get(token)
            if found is not None:
                return found
        return _child(node, token)

    def value(self, pointer: str) -> Range:
        """Range of the value at ``pointer``, or of its nearest existing ancestor."""
        _, node, _ = self._find(pointer)
        return self._lines.node(node) if node is not None and self._lines else FILE_START

    def key(self, pointer: str) -> Range:
        """Range of the key that names ``pointer`` (falls back to the value's range)."""
        key_node, _, exact = self._find(pointer)
        if exact and key_node is not None and self._lines:
            return self._lines.node(key_node)
        return self.value(pointer)

    def member(self, pointer: str) -> Range:
        """From the start of the key to the end of the value: the whole ``key: value`` member."""
        key_node, node, exact = self._find(pointer)
        if exact and key_node is not None and node is not None and self._lines:
            return Range(self._lines.node(key_node).start, self._lines.node(node).end)
        return self.value(pointer)


def _child(node: yaml.Node, token: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The member ``token`` of a mapping (the last spelling wins, as in the loaded data; merged keys
    count) or item ``token`` of a sequence."""
    if isinstance(node, yaml.SequenceNode):
        if token.isdigit() and int(token) < len(node.value):
            return None, node.value[int(token)]
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    merged: list[yaml.Node] = []
    for key_node, value_node in reversed(node.value):
        if key_node.tag == _MERGE_TAG:
            merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
        elif isinstance(key_node, yaml.ScalarNode) and str(key_node.value) == token:
            return key_node, value_node
    for source in merged:
        found = _child(source, token)
        if found is not None:
            return found
    return None


@dataclass
class Document:
    data: Any
    source_map: SourceMap
    index: int = 0


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
    """Refuse nesting deeper than :data:`MAX_NESTING` before libyaml sees it: flow brackets are counted,
    block nesting is bounded by a line's run of indentation and block indicators."""
    deep_block = _DEEP_BLOCK.search(text)
    if deep_block:
        return LoadProblem(
            f"nesting deeper than {MAX_NESTING} levels (a line indented or nested by more than "
            f"{BLOCK_PREFIX_LIMIT} characters): refused as hostile input",
            _Lines(text).point(deep_block.start()),
        )
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


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Unusual(Exception):
    """A node outside the plain JSON-like subset: merge keys, timestamps, sets, custom tags, complex keys."""


class _Constructor(_SafeConstructor):
    """PyYAML's safe constructor, reporting duplicate keys (PyYAML silently keeps the last one).

    Checked before PyYAML flattens merge keys, so a key that overrides a merged one is no duplicate.
    Aliases are constructed once (PyYAML memoizes nodes), so alias bombs cost no more than their text.

    Documents made only of strings, numbers, booleans, nulls, mappings and sequences (nearly every config
    file) are built by a direct walk over the nodes, which gives the same data as PyYAML's generic
    machinery at a third of its cost; any other node sends the whole document down PyYAML's own path.
    """

    def __init__(self, lines: _Lines) -> None:
        super().__init__()
        self.lines = lines
        self.problems: list[LoadProblem] = []

    def construct_document(self, node: yaml.Node) -> Any:
        problems: list[LoadProblem] = []
        try:
            data = self._plain(node, {}, problems)
        except (_Unusual, RecursionError):
            return super().construct_document(node)
        self.problems.extend(problems)
        return data

    def _plain(self, node: yaml.Node, built: dict[int, Any], problems: list[LoadProblem]) -> Any:
        kind, tag = node.__class__, node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR_TAG:
                return node.value
            if tag == _NULL_TAG:
                return None
            if tag == _INT_TAG:
                return self.construct_yaml_int(node)
            if tag == _BOOL_TAG:
                return self.construct_yaml_bool(node)
            if tag == _FLOAT_TAG:
                return self.construct_yaml_float(node)
            raise _Unusual
        known = built.get(id(node))  # an alias: the same node object again (nodes live as long as the tree)
        if known is not None:
            return known
        if kind is yaml.SequenceNode and tag == _SEQ_TAG:
            items: list[Any] = []
            built[id(node)] = items  # before the children: a recursive alias finds the list itself
            for child in node.value:
                items.append(self._plain(child, built, problems))
            return items
        if kind is yaml.MappingNode and tag == _MAP_TAG:
            mapping: dict[Any, Any] = {}
            built[id(node)] = mapping
            seen: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not yaml.ScalarNode or key_node.tag == _MERGE_TAG:
                    raise _Unusual
                first = seen.setdefault(key_node.value, key_node)
                if first is not key_node:
                    problems.append(self._duplicate(key_node.value, first, key_node))
                mapping[self._plain(key_node, built, problems)] = self._plain(value_node, built, problems)
            return mapping
        raise _Unusual

    def _duplicate(self, key: str, first: yaml.Node, again: yaml.Node) -> LoadProblem:
        line = self.lines.at_mark(first.start_mark).line
        return LoadProblem(f"duplicate key {key!r} (first defined on line {line})", self.lines.node(again))

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            if key in seen:
                self.problems.append(self._duplicate(key, seen[key], key_node))
            else:
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_RESOLVED: dict[tuple[type, str | None, Any], str] = {}
_RESOLVED_LIMIT = 65536


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """libyaml's parser and composer, with PyYAML's implicit tag resolution memoized: the composer asks
    for the tag of every node, and config files repeat the same keys and values. The answer depends only
    on the node kind, the value and its style (the safe loader has no path resolvers)."""

    def resolve(self, kind: type, value: str | None, implicit: Any) -> str:
        # implicit: (plain, quoted) for scalars, one bool for collections
        if value is not None and len(value) > 64:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return, no-untyped-call]
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            if len(_RESOLVED) >= _RESOLVED_LIMIT:
                _RESOLVED.clear()
            tag = _RESOLVED[key] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return tag


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
    loader = _Loader(text)
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
    lines = _Lines(text)
    constructor = _Constructor(lines)
    try:
        for index, node in enumerate(_compose(text)):
            data = constructor.construct_document(node)
            loaded.documents.append(Document(data, SourceMap(node, lines), index))
        loaded.problems.extend(constructor.problems)
    except yaml.YAMLError as error:
        loaded.problems.append(_yaml_problem(error, text))
    except (RecursionError, ValueError, TypeError, OverflowError) as error:
        loaded.problems.append(LoadProblem(f"YAML value cannot be read: {error}", FILE_START))
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
    try:
        for node in _compose(text):
            source_map = SourceMap(node, _Lines(text))
            break
    except (yaml.YAMLError, RecursionError):
        # Positions are a convenience here; valid JSON that libyaml cannot compose keeps its data.
        source_map = SourceMap()
    loaded.documents.append(Document(data, source_map))
    return loaded


def load_text(path: str, text: str) -> LoadedFile:
    """Load by file name: ``.json`` as JSON, everything else as YAML."""
    if path.lower().endswith(".json"):
        return load_json(path, text)
    return load_yaml(path, text)
