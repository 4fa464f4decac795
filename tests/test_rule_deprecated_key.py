"""PL903 deprecated-key: deprecated spellings with their replacement."""

from __future__ import annotations

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Range
from parlint.linter.mapping import Deployment
from parlint.linter.plan import DeclaredPlan, KeyNote, Sourced
from parlint.rules import deprecated_key

FILE = "ds_inference.json"


def _ctx(notes: list[KeyNote]) -> LintContext:
    plan = DeclaredPlan("deepspeed", FILE, Range.of(1, 1, 5, 1))
    plan.deprecated_keys.extend(notes)
    return LintContext(FILE, deployments=[DeploymentFacts(Deployment(plan, None, 1))])


def test_deprecated_key_names_its_replacement() -> None:
    note = KeyNote("mp_size", FILE, Range.of(2, 3, 2, 12), "`mp_size` is deprecated", "tensor_parallel.tp_size")
    [found] = deprecated_key.check(_ctx([note]))
    assert found.range == note.range
    assert found.message == "`mp_size` is deprecated; write `tensor_parallel.tp_size` instead"


def test_without_replacement_the_reason_stands_alone() -> None:
    note = KeyNote("--enable-dp-attention", FILE, Range.of(1, 40, 1, 61), "--enable-dp-attention is deprecated")
    [found] = deprecated_key.check(_ctx([note]))
    assert found.message == "--enable-dp-attention is deprecated"


def test_unknown_keys_are_not_deprecated_keys() -> None:
    plan_ctx = _ctx([])
    plan_ctx.deployments[0].plan.unknown_keys.append(KeyNote("tp_size", FILE, Range.of(2, 1, 2, 8), "unknown"))
    assert list(deprecated_key.check(plan_ctx)) == []


def test_the_replacement_carries_the_value_the_deprecated_key_sets() -> None:
    note = KeyNote("mp_size", FILE, Range.of(2, 3, 2, 12), "`mp_size` is deprecated", "tensor_parallel.tp_size")
    ctx = _ctx([note])
    ctx.deployments[0].plan.settings["tp"] = Sourced(4, FILE, Range.of(2, 14, 2, 15), "mp_size")
    [found] = deprecated_key.check(ctx)
    assert found.message == "`mp_size` is deprecated; write `tensor_parallel.tp_size: 4` instead"
