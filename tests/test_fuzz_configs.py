"""Property-based fuzzing in the normal suite: generated configs, launch scripts and mutated fixtures never
crash parlint, every position lies inside the file, and the JSON output always validates.

Bounded for CI: a fixed number of examples per property, derandomized (the same cases on every run)
and no example database. ``bench/fuzz.py --minutes N`` runs the same generators with random seeds.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings

from parlint.linter.diagnostics import Position, Range
from parlint.linter.shell import split
from tests.fuzzing import (
    Case,
    check_case,
    engine_configs,
    fixture_files,
    fixture_mutations,
    launch_commands,
    launch_scripts,
    violations,
)

BOUNDED = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no patch files in the work tree
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@BOUNDED
@given(engine_configs())
def test_generated_engine_configs(case: Case) -> None:
    check_case(case)


@BOUNDED
@given(fixture_mutations())
def test_mutated_fixtures(case: Case) -> None:
    check_case(case)


@settings(BOUNDED, max_examples=80)
@given(launch_scripts())
def test_generated_launch_scripts(case: Case) -> None:
    check_case(case)


@BOUNDED
@given(launch_commands())
def test_shell_words_stay_inside_the_command(pair: tuple[str, str]) -> None:
    _, text = pair
    script = split(text)
    lines = text.split("\n")
    for command in script.commands:
        for word in [*command.words, *command.assignments.values()]:
            for position in (word.range.start, word.range.end):
                assert 1 <= position.line <= len(lines), (word, text)
                assert 1 <= position.column <= len(lines[position.line - 1]) + 1, (word, text)
            assert word.range.start <= word.range.end, (word, text)


def test_every_fixture_is_fuzzed() -> None:
    assert len(fixture_files()) >= 10


def test_the_position_property_can_fail() -> None:
    """The checker itself: a diagnostic past the end of the file is reported as a violation."""
    from parlint.linter.diagnostics import Diagnostic, Severity
    from parlint.linter.runner import FileResult

    case = Case("x.yaml", b"a: 1\n", "self-test")
    outside = Diagnostic("PL001", "invalid-file", Severity.ERROR, "m", "x.yaml",
                         Range(Position(1, 1), Position(1, 7)), "-")
    assert violations(case, "a: 1\n", FileResult("x.yaml", [outside])) == [
        "PL001 column 7 outside 1..5 on line 1: m"
    ]
