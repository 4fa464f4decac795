"""Every shipped fixture lints exactly as its own ``# expect: CODE LINE:COL`` comments say.

Bad fixtures (``fixtures/bad``) carry one expect comment per diagnostic; a format without comments (JSON)
puts the same lines in a sibling ``<name>.expect`` file. Good fixtures (``fixtures/good``,
``fixtures/engines``) must be completely clean. Fixtures are linted with the configuration parlint would
discover for them (a ``.parlint.yaml`` in a fixture directory sets e.g. the GPU type), exactly as
``parlint fixtures/`` does. The expectations live beside the realistic files they describe, so adding a
case is adding a file.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from parlint.linter.config import Overrides, SettingsFinder
from parlint.linter.discovery import discover
from parlint.linter.runner import RunOptions, lint_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECT = re.compile(r"expect: (?P<code>[A-Z]+[0-9]{3}) (?P<line>[0-9]+):(?P<column>[0-9]+)")


def _files(*parts: str) -> list[Path]:
    roots = [FIXTURES / part for part in parts if (FIXTURES / part).is_dir()]
    found = sorted(Path(path) for path in discover(str(root) for root in roots)) if roots else []
    return [path for path in found if path.name not in (".parlint.yaml", ".parlint.yml")]


FINDER = SettingsFinder(Overrides())


def _found(path: Path) -> Counter[tuple[str, int, int]]:
    result = lint_path(str(path), FINDER.for_path(str(path)), RunOptions())
    return Counter((d.code, d.range.start.line, d.range.start.column) for d in result.diagnostics)


def _expected(path: Path) -> Counter[tuple[str, int, int]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    sibling = path.with_name(path.name + ".expect")
    if sibling.is_file():
        text += "\n" + "\n".join(f"expect: {line.strip()}" for line in sibling.read_text().splitlines() if line.strip())
    return Counter((m["code"], int(m["line"]), int(m["column"])) for m in EXPECT.finditer(text))


@pytest.mark.parametrize("path", _files("bad"), ids=lambda path: str(path.relative_to(FIXTURES)))
def test_bad_fixture_reports_exactly_its_expectations(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path} has no '# expect:' comment"
    assert _found(path) == expected


@pytest.mark.parametrize("path", _files("good", "engines"), ids=lambda path: str(path.relative_to(FIXTURES)))
def test_good_fixture_is_clean(path: Path) -> None:
    assert _found(path) == Counter()
