"""Long fuzz run, for use outside CI: ``python bench/fuzz.py --minutes 5``.

Runs the generators of ``tests/fuzzing.py`` (structured engine configs, launch scripts, mutated
fixtures) with fresh random seeds in rounds of a few hundred cases until the time is up, and checks the
same properties as the suite: no internal error or exception, positions inside the file, schema-valid
JSON output. Each distinct failure is shrunk by Hypothesis and printed once with a reproducer; the
summary gives the cases run and the failures found. Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzzing import Case, engine_configs, fixture_mutations, launch_scripts, lint_case, violations  # noqa: E402

GENERATORS: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "configs": engine_configs,
    "fixtures": fixture_mutations,
    "launch": launch_scripts,
}
ROUND = 300


class Failure(AssertionError):
    def __init__(self, signature: str, report: str) -> None:
        super().__init__(report)
        self.signature = signature


def _signature(problems: list[str]) -> str:
    """What makes two failures the same bug: the first problem, without its numbers."""
    first = problems[0]
    return "".join("#" if char.isdigit() else char for char in first)[:160]


def _check(case: Case) -> None:
    try:
        text, result = lint_case(case)
        problems = violations(case, text, result)
    except Exception as error:  # a crash outside the runner's own guard
        problems = [f"exception {type(error).__name__}: {error}", traceback.format_exc(limit=-4)]
    if problems:
        raise Failure(_signature(problems), "\n".join([*problems, case.reproducer()]))


def fuzz_round(name: str, round_seed: int, counter: list[int]) -> Failure | None:
    """One round of ROUND cases from one generator; the (shrunk) failure, if any."""

    @seed(round_seed)
    @settings(max_examples=ROUND, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate, Phase.shrink], report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(GENERATORS[name]())
    def run(case: Case) -> None:
        counter[0] += 1
        _check(case)

    try:
        run()
    except Failure as failure:
        return failure
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to fuzz (default 1)")
    parser.add_argument("--seed", type=int, help="seed of the round seeds (default: random)")
    parser.add_argument("--only", choices=sorted(GENERATORS), action="append", help="restrict to generators")
    args = parser.parse_args(argv)
    master = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(master)
    names = args.only or sorted(GENERATORS)
    deadline = time.monotonic() + args.minutes * 60
    counter = [0]
    rounds = 0
    failures: dict[str, tuple[str, int, Failure]] = {}
    print(f"fuzzing {', '.join(names)} for {args.minutes:g} min (seed {master})", flush=True)
    while time.monotonic() < deadline:
        name = names[rounds % len(names)]
        round_seed = rng.randrange(1 << 32)
        rounds += 1
        failure = fuzz_round(name, round_seed, counter)
        if failure is not None and failure.signature not in failures:
            failures[failure.signature] = (name, round_seed, failure)
            print(f"\n--- failure {len(failures)} ({name}, round seed {round_seed}) ---\n{failure}", flush=True)
    print(f"\n{counter[0]} cases run in {rounds} rounds, {len(failures)} distinct failures found")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
