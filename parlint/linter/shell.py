"""Shell words with exact source positions, for launch commands inside scripts, run-books and manifests.

``shlex`` splits words but forgets where they were; parlint must point at the flag a user wrote, so
this module is a small POSIX word splitter (hand-rolled on purpose) that keeps every word's range in
the original file. It handles single and double quotes, backslash escapes, ``\\`` line continuations,
comments, ``;``/``&&``/``||``/``|`` command separators, ``NAME=value`` assignments and ``$VAR`` /
``${VAR}`` / ``${VAR:-default}`` expansion from a given environment. A word whose expansion needs an
unknown variable is marked ``unresolved``: no rule may judge its value.

A continuation broken by trailing whitespace or a comment (``--tp 8 \\ # comment``) ends the
command in a real shell: the next lines run as a separate command. The splitter does the same and
records a :class:`BrokenContinuation` naming the words that would be dropped.

Embedded text (a YAML block scalar, a Markdown fence) is split with a ``LineMap`` that maps each line
of the fragment back to its line and column in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from parlint.linter.diagnostics import Position, Range

_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
# Runs the scanner takes in one step instead of character by character (same stop characters as the rules).
_PLAIN_RUN = re.compile(r"(?:[^ \t\n;|&\\'\"`$]|\$(?!\())+")
_DOUBLE_QUOTED_RUN = re.compile(r'[^"\\]+')
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SEPARATORS = ("&&", "||", ";", "|", "&")
_REDIRECTION = re.compile(r"(?:[0-9]+|&(?=>))?(?:>>|>&|>\||<<<|<<-|<<|<&|<>|>|<)")
"""``> log``, ``2>&1``, ``&>> log``, ``< in``, ``<<EOF``: the operator and its target are no words of the command."""
_PLACEHOLDER = re.compile(r"<[^<>\s]+>")
"""A run-book's ``<model>`` placeholder, not an input redirection."""


@dataclass(frozen=True)
class LineMap:
    """Where line ``i`` (0-based) of a fragment starts in the file: (1-based line, 1-based column)."""

    starts: tuple[tuple[int, int], ...]
    shifts: tuple[int, ...] = ()
    """For a one-line fragment decoded from escapes: how many more characters the file holds before each
    fragment column (a YAML ``\\"`` is two characters in the file and one in the fragment)."""

    @classmethod
    def identity(cls, text: str) -> LineMap:
        return cls(tuple((number, 1) for number in range(1, text.count("\n") + 2)))

    def position(self, line: int, column: int) -> Position:
        if line < len(self.starts):
            file_line, file_column = self.starts[line]
        else:
            file_line, file_column = self.starts[-1][0] + line - len(self.starts) + 1, 1
        if line == 0 and self.shifts:
            column += self.shifts[min(column, len(self.shifts) - 1)]
        return Position(file_line, file_column + column)


@dataclass(frozen=True)
class Word:
    text: str
    range: Range
    unresolved: bool = False
    quoted: bool = False


@dataclass(frozen=True)
class BrokenContinuation:
    """A ``\\`` that does not continue the line; ``dropped`` are the words of the orphaned next lines."""

    range: Range
    reason: str
    dropped: tuple[Word, ...]


@dataclass
class Command:
    words: list[Word] = field(default_factory=list)
    assignments: dict[str, Word] = field(default_factory=dict)
    environment: dict[str, Word] = field(default_factory=dict)  # script-level assignments in effect here

    @property
    def range(self) -> Range:
        return Range(self.words[0].range.start, self.words[-1].range.end)


@dataclass(frozen=True)
class Heredoc:
    """A file the script writes from a here-document (``cat > serve.yaml <<'EOF'``): its text and where its
    first line sits in the script. ``literal``: the delimiter was quoted, so the shell expands nothing in it."""

    text: str
    position: Position
    literal: bool


@dataclass
class Script:
    commands: list[Command] = field(default_factory=list)
    broken: list[BrokenContinuation] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    assigned: dict[str, Word] = field(default_factory=dict)  # the last assignment of each variable, positioned
    files: dict[str, Heredoc] = field(default_factory=dict)  # path as written -> what a here-document wrote


class _Scanner:
    def __init__(self, text: str, lines: LineMap, env: Mapping[str, str], newline_is_space: bool) -> None:
        self.text = text
        self.lines = lines
        self.env = dict(env)
        self.newline_is_space = newline_is_space
        self.index = 0
        self.line = 0
        self.column = 0

    def position(self) -> Position:
        return self.lines.position(self.line, self.column)

    def advance(self, count: int = 1) -> None:
        end = min(self.index + count, len(self.text))
        breaks = self.text.count("\n", self.index, end)
        if breaks:
            self.line += breaks
            self.column = end - (self.text.rfind("\n", self.index, end) + 1)
        else:
            self.column += end - self.index
        self.index = end

    def peek(self, offset: int = 0) -> str:
        position = self.index + offset
        return self.text[position] if position < len(self.text) else ""

    def substitution(self) -> str:
        """Consume ``$(...)`` (nested parentheses balanced) or a backquoted command; return its text."""
        begin = self.index
        if self.peek() == "`":
            self.advance()
            while self.index < len(self.text) and self.peek() != "`":
                self.advance(2 if self.peek() == "\\" and self.index + 1 < len(self.text) else 1)
        else:
            self.advance(2)
            depth = 1
            while self.index < len(self.text) and depth:
                depth += {"(": 1, ")": -1}.get(self.peek(), 0)
                if depth:
                    self.advance()
        if self.index < len(self.text):
            self.advance()
        return self.text[begin:self.index]

    def expand(self, raw: str) -> tuple[str, bool]:
        unresolved = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal unresolved
            name = match.group("braced") or match.group("plain")
            if name in self.env:
                return self.env[name]
            if match.group("default") is not None:
                return match.group("default")
            unresolved = True
            return match.group(0)

        return _VARIABLE.sub(substitute, raw), unresolved

    def word(self) -> Word:
        start = self.position()
        parts: list[str] = []
        unresolved = quoted = False
        while self.index < len(self.text):
            char = self.peek()
            if char in " \t\n" or char in ";|&" or (char == "#" and not parts):
                break
            if char == "\\":
                following = self.peek(1)
                if following == "\n":
                    break
                parts.append(following)
                self.advance(2 if following else 1)  # a lone ``\`` at the end of the text
            elif char == "'":
                quoted = True
                self.advance()
                closing = self.text.find("'", self.index)
                closing = len(self.text) if closing < 0 else closing
                parts.append(self.text[self.index:closing])
                self.advance(closing - self.index)
                if self.index < len(self.text):
                    self.advance()
            elif char == '"':
                quoted = True
                self.advance()
                chunk: list[str] = []
                while self.index < len(self.text) and self.peek() != '"':
                    if self.peek() == "\\" and self.peek(1) in '"\\$`':
                        chunk.append(self.peek(1))
                        self.advance(2)
                        continue
                    run = _DOUBLE_QUOTED_RUN.match(self.text, self.index)
                    end = run.end() if run else self.index + 1  # a backslash that escapes nothing
                    chunk.append(self.text[self.index:end])
                    self.advance(end - self.index)
                text, missing = self.expand("".join(chunk))
                unresolved |= missing or "$(" in text or "`" in text
                parts.append(text)
                if self.index < len(self.text):
                    self.advance()
            elif (char == "$" and self.peek(1) == "(") or char == "`":
                # Command substitution: its output is unknown, so the word is unresolved.
                parts.append(self.substitution())
                unresolved = True
            else:
                begin = self.index
                run = _PLAIN_RUN.match(self.text, self.index)
                self.advance((run.end() if run else self.index + 1) - self.index)
                text, missing = self.expand(self.text[begin:self.index])
                unresolved |= missing
                parts.append(text)
        return Word("".join(parts), Range(start, self.position()), unresolved, quoted)


def split(
    text: str,
    *,
    lines: LineMap | None = None,
    env: Mapping[str, str] | None = None,
    newline_is_space: bool = False,
) -> Script:
    """Split shell ``text`` into commands of positioned words."""
    scanner = _Scanner(text, lines or LineMap.identity(text), env or {}, newline_is_space)
    script = Script()
    current = Command()
    pending_break: tuple[Range, str] | None = None
    heredocs: list[tuple[Word, bool]] = []  # delimiters (and <<- tab stripping) whose bodies follow this line
    written_to: str | None = None  # the file a `> FILE` of this line writes

    def assign(name: str, word: Word) -> None:
        script.assigned[name] = word
        if word.unresolved:  # later ``$name`` is unknown too
            scanner.env.pop(name, None)
            script.variables.pop(name, None)
        else:
            scanner.env[name] = script.variables[name] = word.text

    def finish() -> None:
        nonlocal current
        if current.words and current.words[0].text == "export":
            # ``export NAME=value`` assigns like a bare assignment (and exports it to the engine process).
            for word in current.words[1:]:
                if _ASSIGNMENT.match(word.text):
                    name, _, value = word.text.partition("=")
                    assign(name, _value_word(name, value, word))
        elif current.words:
            current.environment = dict(script.assigned)
            script.commands.append(current)
        elif current.assignments:
            for name, word in current.assignments.items():
                assign(name, word)
        current = Command()

    while scanner.index < len(text):
        char = scanner.peek()
        if char == "\\" and scanner.peek(1) == "\n":
            scanner.advance(2)
            continue
        if char == "\\" and _broken_continuation_follows(text, scanner.index):
            where = Range(scanner.position(), Position(scanner.position().line, scanner.position().column + 1))
            rest = text[scanner.index + 1:text.find("\n", scanner.index) if "\n" in text[scanner.index:] else len(text)]
            reason = "a comment" if rest.strip().startswith("#") else "trailing whitespace"
            pending_break = (where, reason)
            scanner.advance()
            while scanner.index < len(text) and scanner.peek() != "\n":
                scanner.advance()
            continue
        if char in " \t" or (char == "\n" and newline_is_space):
            scanner.advance()
            continue
        if char == "\n":
            scanner.advance()
            target = written_to or (current.words[1].text if len(current.words) > 1 and current.words[0].text == "tee"
                                    else None)
            finish()
            for delimiter, strip_tabs in heredocs:
                _read_heredoc(scanner, script, delimiter, strip_tabs, target)
            heredocs, written_to = [], None
            if pending_break is not None:
                script.broken.append(_orphaned(scanner, pending_break))
                pending_break = None
            continue
        if char == "#":
            while scanner.index < len(text) and scanner.peek() != "\n":
                scanner.advance()
            continue
        redirection = _REDIRECTION.match(text, scanner.index)
        if redirection and not _PLACEHOLDER.match(text, scanner.index):
            operator = redirection.group().lstrip("0123456789&")
            scanner.advance(redirection.end() - scanner.index)
            while scanner.index < len(text) and scanner.peek() in " \t":
                scanner.advance()
            if scanner.index < len(text) and scanner.peek() not in "\n;|&":
                target_word = scanner.word()  # the file or descriptor redirected to
                if operator in ("<<", "<<-"):
                    heredocs.append((target_word, operator == "<<-"))
                elif operator in (">", ">>", ">|") and redirection.group()[:1] in (">", "1"):
                    written_to = target_word.text
            continue
        separator = next((item for item in _SEPARATORS if text.startswith(item, scanner.index)), None)
        if separator:
            scanner.advance(len(separator))
            finish()
            continue
        word = scanner.word()
        if not current.words and _ASSIGNMENT.match(word.text) and not word.text.startswith("="):
            name, _, value = word.text.partition("=")
            current.assignments[name] = _value_word(name, value, word)
        else:
            current.words.append(word)
    finish()
    if pending_break is not None:
        script.broken.append(BrokenContinuation(pending_break[0], pending_break[1], ()))
    return script


def _read_heredoc(scanner: _Scanner, script: Script, delimiter: Word, strip_tabs: bool, target: str | None) -> None:
    """Consume a here-document body up to its delimiter line; remember it when it is written to a file."""
    start, body = scanner.position(), []
    while scanner.index < len(scanner.text):
        end = scanner.text.find("\n", scanner.index)
        end = len(scanner.text) if end < 0 else end
        line = scanner.text[scanner.index:end]
        scanner.advance(end + 1 - scanner.index)
        if (line.lstrip("\t") if strip_tabs else line) == delimiter.text:
            break
        body.append(line.lstrip("\t") if strip_tabs else line)
    if target is not None:
        script.files[target] = Heredoc("\n".join(body) + "\n", start, delimiter.quoted)


def _value_word(name: str, value: str, word: Word) -> Word:
    """The value of ``NAME=value``, positioned after the ``=`` when the word sits on one line."""
    start = Position(word.range.start.line, word.range.start.column + len(name) + 1)
    inside = word.range.start.line == word.range.end.line and start <= word.range.end
    return Word(value, Range(start, word.range.end) if inside else word.range, word.unresolved, word.quoted)


def _broken_continuation_follows(text: str, index: int) -> bool:
    """A ``\\`` followed only by spaces/tabs and optionally a comment up to the end of the line."""
    end = text.find("\n", index)
    rest = text[index + 1:end if end >= 0 else len(text)]
    stripped = rest.lstrip(" \t")
    return bool(rest) and (not stripped or stripped.startswith("#")) and (rest != stripped or stripped.startswith("#"))


def _orphaned(scanner: _Scanner, pending: tuple[Range, str]) -> BrokenContinuation:
    """Split the next line as its own command to name the words the broken continuation drops."""
    start = scanner.index
    end = scanner.text.find("\n", start)
    end = len(scanner.text) if end < 0 else end
    while end < len(scanner.text) and scanner.text[:end].rstrip(" \t").endswith("\\"):
        following = scanner.text.find("\n", end + 1)
        end = len(scanner.text) if following < 0 else following
    fragment = scanner.text[start:end]
    line_map = LineMap(tuple(
        (position.line, position.column)
        for position in (scanner.lines.position(scanner.line + offset, 0) for offset in range(fragment.count("\n") + 1))
    ))
    sub = split(fragment, lines=line_map, env=scanner.env)
    words = tuple(word for command in sub.commands for word in command.words)
    return BrokenContinuation(pending[0], pending[1], words)


def word_list(values: Sequence[tuple[str, Range]]) -> list[Word]:
    """Words that are already split, e.g. the items of a Kubernetes ``args:`` list."""
    return [Word(text, where) for text, where in values]
