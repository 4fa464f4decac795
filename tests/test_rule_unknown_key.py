"""PL901 unknown-key: keys the adapters did not accept, with the closest valid key."""

from __future__ import annotations

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Range
from parlint.linter.mapping import Deployment
from parlint.linter.plan import DeclaredPlan, KeyNote
from parlint.rules import unknown_key

FILE = "sglang.yaml"


def _ctx(*plans_notes: list[KeyNote]) -> LintContext:
    deployments = []
    for notes in plans_notes:
        plan = DeclaredPlan("sglang", FILE, Range.of(1, 1, 5, 1))
        plan.unknown_keys.extend(notes)
        deployments.append(DeploymentFacts(Deployment(plan, None, 1)))
    return LintContext(FILE, deployments=deployments)


def test_names_the_closest_valid_key_at_the_key() -> None:
    note = KeyNote("tp_size", FILE, Range.of(2, 1, 2, 8), "SGLang config keys are emitted verbatim: `--tp_size` "
                   "is an unrecognized argument", "tp-size")
    [found] = unknown_key.check(_ctx([note]))
    assert (found.file, found.range) == (FILE, note.range)
    assert found.message.endswith("; the closest valid key is `tp-size`")
    assert found.severity is None and unknown_key.SEVERITY == "warning"


def test_replacement_already_in_the_reason_is_not_repeated() -> None:
    note = KeyNote("--enable-ep-moe", FILE, Range.of(3, 1, 3, 16),
                   "--enable-ep-moe was removed: set `--ep-size` to the same value as `--tp-size`", "--ep-size")
    [found] = unknown_key.check(_ctx([note]))
    assert found.message.count("--ep-size") == 1


def test_a_key_shared_by_two_deployments_is_reported_once() -> None:
    note = KeyNote("tp_size", FILE, Range.of(2, 1, 2, 8), "unrecognized", "tp-size")
    assert len(list(unknown_key.check(_ctx([note], [note])))) == 1


def test_silent_without_notes() -> None:
    assert list(unknown_key.check(_ctx([]))) == []
