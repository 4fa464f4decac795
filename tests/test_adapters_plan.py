"""The parlint plan format (`kind: ParallelPlan`) and its schema (parlint/schemas/plan.schema.json)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from parlint.linter.adapters import adapt
from parlint.linter.adapters.parlint_plan import plan_schema
from parlint.linter.derive import derive
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan
from tests.structures import DEEPSEEK_V3

ROOT = Path(__file__).resolve().parents[1]


def plans(text: str) -> list[DeclaredPlan]:
    return adapt(load_text("plan.yaml", textwrap.dedent(text)))


def test_schema_is_valid_and_shipped_as_package_data() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(plan_schema())
    assert plan_schema() == json.loads((ROOT / "parlint" / "schemas" / "plan.schema.json").read_text("utf-8"))


def test_valid_plan_is_read_with_positions() -> None:
    path = ROOT / "fixtures" / "engines" / "parlint" / "deepseek-v3-pp2-ep8.yaml"
    [plan] = adapt(load_text(str(path), path.read_text("utf-8")))
    assert not plan.unknown_keys and not plan.invalid_values
    assert plan.gpu is not None and plan.gpu.value == "H100-80GB"
    assert plan.gpus_per_node is not None and plan.gpus_per_node.value == 8 and plan.get("nnodes") == 2
    assert plan.objective is not None and plan.objective.value == "throughput"
    assert [decision.step for decision in plan.decisions] == ["structure", "structural", "operator", "data"]
    assert plan.decisions[1].degrees == {"pp": 2, "ep": 8}
    assert (plan.get("pp"), plan.get("ep"), plan.get("tp"), plan.get("dp")) == (2, 8, 1, 1)
    assert [stage.layers for stage in plan.stages] == [(0, 31), (31, 61)]
    assert plan.stages[1].gpus == tuple(range(8, 16)) and plan.stages[0].experts_per_gpu == 32
    assert plan.stages[0].tp_scope == ("attention", "ffn")
    [supply] = plan.supply
    assert (supply.count.value, supply.scope) == (16, "total")


def test_declared_stages_are_kept_not_rederived() -> None:
    [plan] = plans("""\
        kind: ParallelPlan
        model: deepseek-ai/DeepSeek-V3
        stages:
          - {layers: [0, 40], gpus: [0, 1, 2, 3], attention: {tp: 4}, experts: {ep: 4}}
          - {layers: [30, 61], gpus: [3, 4, 5, 6], attention: {tp: 2, sp: 2}}
        """)
    deployment = derive(plan, DEEPSEEK_V3)
    first, second = deployment.stages
    assert first.layers == (0, 40) and second.layers == (30, 61)
    assert first.moe is not None and first.moe.experts_per_gpu == (64, 64)
    assert (second.attn_tp, second.cp, second.attn_dp, second.moe) == (2, 2, 1, None)
    assert deployment.gpus_total == 8 and deployment.replicas == 1


def test_schema_errors_are_notes_at_the_offending_keys() -> None:
    [plan] = plans("""\
        kind: ParallelPlan
        model: m
        objective: cheapest
        hardware: {gpu: H100, gpus_per_nod: 8}
        decisions:
          - {step: magic, reason: because}
        stages:
          - {layers: [0, "ten"], gpus: [0, 0]}
        replicas: 0
        """)
    unknown = {note.spelling: note for note in plan.unknown_keys}
    assert unknown["gpus_per_nod"].replacement == "gpus_per_node"
    assert unknown["gpus_per_nod"].range == Range.of(4, 23, 4, 35)
    invalid = {note.spelling: note for note in plan.invalid_values}
    assert set(invalid) >= {"objective", "step", "1", "gpus", "replicas"}
    assert invalid["objective"].range == Range.of(3, 12, 3, 20)
    assert invalid["1"].range == Range.of(8, 18, 8, 23)
    assert plan.objective is None and plan.stages == [] and "replicas" not in plan.settings


def test_wrong_shapes_never_crash() -> None:
    for text in ("kind: ParallelPlan\n", "kind: ParallelPlan\nstages: 3\ndecisions: {a: 1}\nmodel: [1]\n",
                 "kind: ParallelPlan\nstages: [null, [1], {layers: null}]\nhardware: 8\n"):
        [plan] = plans(text)
        assert plan.invalid_values
        assert derive(plan, None).gpus_total == 0
