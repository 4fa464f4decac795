"""docs/rule-coverage.md maps every check of the rule catalog to fixtures; these tests keep it from rotting.

Every path the document names must exist; every bad fixture of a row must expect the row's code (so a
row cannot point at a fixture that proves something else); good fixtures must be ones the fixture
harness checks for cleanliness; every registered code must have a row and fire in some bad fixture.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parlint.rules import all_rules

ROOT = Path(__file__).resolve().parents[1]
COVERAGE = ROOT / "docs" / "rule-coverage.md"
FIXTURES = ROOT / "fixtures"
PATH = re.compile(r"`(fixtures/[^`]+)`")
ROW = re.compile(r"^\| (?P<code>PL[0-9]{3}) \| (?P<check>[^|]+) \| (?P<bad>[^|]+) \| (?P<good>[^|]+) \|$")
EXPECT = re.compile(r"expect: (?P<code>[A-Z]+[0-9]{3}) [0-9]+:[0-9]+")
# PL000 reports a crash of parlint itself: a fixture that triggers it would be a bug to fix, not a case.
NO_FIXTURE = {"PL000"}


def _rows() -> list[re.Match[str]]:
    return [match for line in COVERAGE.read_text(encoding="utf-8").splitlines() if (match := ROW.match(line))]


def _expected_codes(path: Path) -> set[str]:
    """The codes a fixture expects: its ``expect:`` comments, or a ``.expect`` sibling's lines."""
    text = path.read_text(encoding="utf-8", errors="replace")
    sibling = path.with_name(path.name + ".expect")
    if sibling.is_file():
        text += "\n" + "\n".join(f"expect: {line.strip()}" for line in sibling.read_text().splitlines())
    return {match["code"] for match in EXPECT.finditer(text)}


def _bad_fixtures() -> list[Path]:
    return [path for path in sorted((FIXTURES / "bad").rglob("*"))
            if path.is_file() and path.suffix != ".expect" and not path.name.startswith(".parlint.")]


def test_the_document_has_a_row_per_check() -> None:
    assert len(_rows()) >= 60


@pytest.mark.parametrize("path", sorted(set(PATH.findall(COVERAGE.read_text(encoding="utf-8")))))
def test_every_named_path_exists(path: str) -> None:
    assert (ROOT / path).exists(), f"docs/rule-coverage.md names {path}, which does not exist"


@pytest.mark.parametrize("row", _rows(), ids=lambda row: f"{row['code']} {row['check'].strip()}")
def test_each_check_has_failing_and_passing_fixtures(row: re.Match[str]) -> None:
    bad, good = PATH.findall(row["bad"]), PATH.findall(row["good"])
    assert bad and good, "every check needs a failing and a passing fixture"
    for path in bad + good:
        assert (ROOT / path).is_file(), f"{path} is not a fixture file"
    for path in bad:
        assert path.startswith("fixtures/bad/")
        assert row["code"] in _expected_codes(ROOT / path), f"{path} does not expect {row['code']}"
    for path in good:
        assert path.startswith(("fixtures/good/", "fixtures/engines/")), f"{path} is not checked for cleanliness"


def test_every_registered_code_has_a_row_and_fires_in_a_bad_fixture() -> None:
    codes = {rule.code for rule in all_rules()} - NO_FIXTURE
    assert codes - {row["code"] for row in _rows()} == set()
    fired = set().union(*(_expected_codes(path) for path in _bad_fixtures()))
    assert codes - fired == set()


def test_rows_name_registered_codes_only() -> None:
    codes = {rule.code for rule in all_rules()}
    assert {row["code"] for row in _rows()} - codes == set()


def test_every_rejection_derive_records_is_reported_by_a_rule() -> None:
    derive = (ROOT / "parlint" / "linter" / "derive.py").read_text(encoding="utf-8")
    docstring = derive.split('"""')[1]
    kinds = set(re.findall(r"``([a-z]+(?:-[a-z0-9]+)+)``", docstring))
    rules = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "parlint" / "rules").glob("*.py"))
    reported = {kind for kind in kinds if f'"{kind}"' in rules}
    assert len(kinds) >= 30, "the kinds are read from derive.py's docstring"
    assert kinds - reported == set(), "an engine would refuse these configs while parlint stays silent"
