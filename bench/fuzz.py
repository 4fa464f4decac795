"""Long fuzz run, for use outside CI: ``python bench/fuzz.py --minutes 5``.

Runs the generators of ``tests/fuzzing.py`` (structured engine configs, launch scripts, mutated
fixtures) with fresh random seeds in rounds of a few hundred cases until the time is up, and checks the
same properties as the suite: no internal error or exception, positions inside the file, schema-valid
JSON output, and each case within --case-seconds (default 10) and --memory-mib (default 2048) of address
space. Each distinct failure is shrunk by Hypothesis and printed once with a reproducer; the summary gives
the cases run and the failures found. Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
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
_case_seconds = 10


class CaseTimeout(BaseException):
    """Raised by the alarm inside a slow case; a BaseException, so the runner's own guard does not catch it."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


class Failure(AssertionError):
    def __init__(self, signature: str, report: str) -> None:
        super().__init__(report)
        self.signature = signature


def _signature(problems: list[str]) -> str:
    """What makes two failures the same bug: the first problem, without its numbers."""
    first = problems[0]
    return "".join("#" if char.isdigit() else char for char in first)[:160]


def _check(case: Case) -> None:
    signal.alarm(_case_seconds)
    try:
        text, result = lint_case(case)
        problems = violations(case, text, result)
    except CaseTimeout:
        problems = [f"timeout: more than {_case_seconds} s"]
    except Exception as error:  # a crash outside the runner's own guard
        problems = [f"exception {type(error).__name__}: {error}", traceback.format_exc(limit=-4)]
    finally:
        signal.alarm(0)
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
    parser.add_argument("--case-seconds", type=int, default=10, help="time limit of one case (default 10)")
    parser.add_argument("--memory-mib", type=int, default=2048, help="address-space limit (default 2048)")
    args = parser.parse_args(argv)
    global _case_seconds
    _case_seconds = args.case_seconds
    signal.signal(signal.SIGALRM, _alarm)
    # A memory bomb becomes a MemoryError (an internal error of that case), not the end of the run.
    limit = args.memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    master = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(master)
    names = args.only or sorted(GENERATORS)
    deadline = time.monotonic() + args.minutes * 60
    counter = [0]
    rounds = 0
    failures: dict[str, tuple[str, int, Failure]] = {}
    print(f"fuzzing {', '.join(names)} for {args.minutes:g} min (seed {master})", flush=True)
    last_report = time.monotonic()
    while time.monotonic() < deadline:
        if time.monotonic() - last_report > 60:
            print(f"  {counter[0]} cases, {len(failures)} failures so far", flush=True)
            last_report = time.monotonic()
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
