"""The loader's direct construction path gives exactly the data of PyYAML's own safe constructor.

The loader builds plain documents (strings, numbers, booleans, nulls, mappings, sequences) by walking
the composed nodes itself and hands anything else to PyYAML; these tests pin both halves to PyYAML's
answer, so the shortcut can never change what a file means.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from parlint.linter.loader import load_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

EDGE_CASES = [
    "a: 1\nb: 0x1f\nc: 0o17\nd: 1_000\ne: -12\nf: +3\ng: 190:20:30\n",
    "f: 1.5\ng: .inf\nh: -.Inf\ni: .nan\nj: 1e3\nk: 6.8523015e+5\nl: 1_0.5\n",
    "t: true\nu: False\nv: yes\nw: off\nx: ~\ny: null\nz:\n",
    "s: '8'\nq: \"true\"\nr: !!str 12\np: !!int '7'\nblock: |\n  two\n  lines\nfolded: >\n  a\n  b\n",
    "base: &b {tp: 8, pp: 2}\nother: *b\nlist: &l [1, 2]\nagain: [*l, *l]\n",
    "defaults: &d {tp: 8, pp: 1}\nserve:\n  <<: *d\n  pp: 2\n",  # merge keys: PyYAML's path
    "when: 2024-01-02\nstamp: 2001-12-14t21:59:43.10-05:00\n",  # timestamps: PyYAML's path
    "set: !!set {a, b}\nomap: !!omap [{a: 1}, {b: 2}]\nbin: !!binary aGVsbG8=\n",
    "? [complex, key]\n: value\n",  # a sequence as a key: PyYAML's path (and its error)
    "1: int key\n'1': str key\n~: null key\n2.5: float key\ntrue: bool key\n",
    "dup: 1\ndup: 2\nnested:\n  k: a\n  k: b\n",
    "- a\n- - b\n  - c\n- {d: [e, {f: g}]}\n",
    "",
    "--- just a scalar\n",
    "--- 12\n",
    "&r [*r]\n",  # a recursive alias
]


def _same(left: Any, right: Any) -> bool:
    """Equality that also treats NaN as equal to NaN and keeps int, float and bool apart."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        if left is right:
            return True
        return len(left) == len(right) and all(
            (a is left and b is right) or _same(a, b) for a, b in zip(left, right, strict=True)
        )
    return bool(left == right)


def _pyyaml(text: str) -> list[Any] | str:
    try:
        return list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return "unreadable"


def _ours(text: str) -> list[Any] | str:
    loaded = load_yaml("t.yaml", text)
    if any(not problem.message.startswith("duplicate key") for problem in loaded.problems):
        return "unreadable"
    return [document.data for document in loaded.documents]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_construct_like_pyyaml(text: str) -> None:
    ours, theirs = _ours(text), _pyyaml(text)
    assert ours == theirs if isinstance(theirs, str) else _same(ours, theirs), (ours, theirs)


def test_every_yaml_fixture_constructs_like_pyyaml() -> None:
    paths = sorted(path for path in FIXTURES.rglob("*") if path.suffix in (".yaml", ".yml"))
    assert len(paths) > 50
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        ours, theirs = _ours(text), _pyyaml(text)
        if isinstance(theirs, str):
            continue  # unreadable for PyYAML too (the hostile fixtures): PL001, covered elsewhere
        assert _same(ours, theirs), path


def test_aliases_share_one_object_and_bombs_stay_cheap() -> None:
    data = load_yaml("t.yaml", "a: &x [1, 2]\nb: *x\n").documents[0].data
    assert data["a"] is data["b"]
    bomb = "a: &a [x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n"
                                      for i in range(20))
    assert load_yaml("t.yaml", bomb).ok


def test_duplicates_are_reported_on_both_paths() -> None:
    plain = load_yaml("t.yaml", "k: 1\nk: 2\n")
    merged = load_yaml("t.yaml", "d: &d {x: 1}\nm:\n  <<: *d\n  k: 1\n  k: 2\n")
    assert [problem.message for problem in plain.problems] == ["duplicate key 'k' (first defined on line 1)"]
    assert [problem.message for problem in merged.problems] == ["duplicate key 'k' (first defined on line 4)"]


scalars = st.one_of(
    st.text(alphabet="ab01:-_.~ xyTtFfNn", max_size=8),
    st.sampled_from(["1", "0x1A", "0o7", "1_0", "1.5", ".inf", ".NaN", "yes", "No", "null", "~", "", "1e3",
                     "12:30", "2024-01-02", "'8'", "\"x\"", "!!str 3", "!!float 1"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(scalars, inner, max_size=4)),
    max_leaves=12,
)


def _render(value: Any, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "".join(f"{pad}{key or 'k'}: {_render(item, indent + 2).lstrip(' ')}\n".replace("\n\n", "\n")
                              for key, item in value.items()).rstrip("\n")
    if isinstance(value, list):
        return "[" + ", ".join(_render(item).strip() or "''" for item in value) + "]"
    return str(value)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(values)
def test_generated_documents_construct_like_pyyaml(value: Any) -> None:
    text = "root: " + _render(value, 2) + "\n"
    ours, theirs = _ours(text), _pyyaml(text)
    assert ours == theirs if isinstance(theirs, str) else _same(ours, theirs), text
