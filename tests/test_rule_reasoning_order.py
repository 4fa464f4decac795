"""PL601 reasoning-order: the decision log follows seed 6; PP only where a stage cannot hold the model."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, Stage
from parlint.linter.models.catalog import lookup
from parlint.linter.models.hardware import find_gpu
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import Decision, DeclaredPlan, Sourced
from parlint.rules import reasoning_order as rule

FILE = "plan.yaml"


def _decision(step: str, line: int, **degrees: int) -> Decision:
    return Decision(step, degrees, "because", FILE, Range.of(line, 5, line, 50))


def _run_log(*decisions: Decision) -> list[Finding]:
    plan = DeclaredPlan("parlint", FILE, Range.of(1, 1, 20, 1), decisions=list(decisions))
    return list(rule.check(LintContext(FILE, deployments=[DeploymentFacts(Deployment(plan, None, 1))])))


def test_the_seed_order_is_clean() -> None:
    assert _run_log(_decision("structure", 5), _decision("structural", 6, pp=2, ep=8),
                    _decision("operator", 7, tp=1, attn_dp=8), _decision("data", 8, dp=1)) == []


def test_missing_structure_step() -> None:
    [found] = _run_log(_decision("structural", 5, pp=2), _decision("operator", 6, tp=8))
    assert found.range.start.line == 5
    assert found.message.startswith("the decision log has no structure step")


def test_steps_that_go_back_are_reported_where_they_happen() -> None:
    found = _run_log(_decision("structure", 5), _decision("operator", 6, tp=8), _decision("data", 7, dp=2),
                     _decision("structural", 8, pp=2))
    assert [(item.range.start.line, item.message.split(":")[0]) for item in found] == [
        (8, "step 'structural' (PP 2) comes after step 'data' (DP 2)")]
    assert "structural (PP/EP), then operator (TP/SP), then data (DP) last" in found[0].message


def test_structure_step_after_a_decision() -> None:
    found = _run_log(_decision("operator", 5, tp=8), _decision("structure", 6), _decision("data", 7, dp=2))
    assert [item.message.split(":")[0] for item in found] == ["step 'structure' comes after step 'operator' (TP 8)"]


def test_degree_in_the_wrong_step() -> None:
    found = _run_log(_decision("structure", 5), _decision("operator", 6, tp=8, pp=2), _decision("data", 7, dp=2))
    assert [item.message for item in found] == [
        "PP 2 is decided in the operator (TP/SP) step; it belongs to the structural (PP/EP) step"]


def _model(model_id: str) -> ModelStructure:
    hit = lookup(model_id)
    assert hit is not None
    return hit.structure


def _run_pp(model: ModelStructure, gpu: str | None, tp: int, pp: int, **settings: Any) -> list[Finding]:
    plan = DeclaredPlan("vllm", FILE, Range.of(1, 1, 9, 1))
    plan.settings["pp"] = Sourced(pp, FILE, Range.of(4, 25, 4, 26), "pipeline-parallel-size")
    for name, value in settings.items():
        plan.settings[name] = Sourced(value, FILE, Range.of(6, 1, 6, 2), name)
    per_stage = model.num_layers // pp
    stages = [Stage(index, (index * per_stage, (index + 1) * per_stage), tuple(range(index * tp, (index + 1) * tp)),
                    attn_tp=tp, ffn_tp=tp) for index in range(pp)]
    facts = DeploymentFacts(Deployment(plan, model, 1, stages), gpu=find_gpu(gpu) if gpu else None)
    return list(rule.check(LintContext(FILE, deployments=[facts])))


def test_pp_where_one_stage_holds_the_whole_model_is_a_warning() -> None:
    [found] = _run_pp(_model("meta-llama/Llama-3.1-8B-Instruct"), "H100-80GB", tp=1, pp=2, max_model_len=8192)
    assert found.severity is Severity.WARNING
    assert found.range.start.line == 4
    assert found.message.startswith("PP 2 is for memory, but one stage of 1 GPU (TP 1) would hold all 32 layers")
    assert "drop PP and run 2 replicas of 1 GPU" in found.message
    assert found.suggestion is not None and found.suggestion.mapping == {"pp": 1, "replicas": 2, "tp": 1}


def test_pp_that_is_needed_for_memory_or_unknown_hardware_is_silent() -> None:
    llama_70b = _model("meta-llama/Llama-3.1-70B-Instruct")
    assert _run_pp(llama_70b, "A100-40GB", tp=4, pp=2, max_model_len=8192) == []
    assert _run_pp(_model("meta-llama/Llama-3.1-8B-Instruct"), None, tp=1, pp=2) == []


def test_a_tp_group_larger_than_its_stage_gives_no_one_stage_estimate() -> None:
    model = _model("meta-llama/Llama-3.1-405B-Instruct")
    plan = DeclaredPlan("parlint", FILE, Range.of(1, 1, 9, 1))
    plan.settings["pp"] = Sourced(2, FILE, Range.of(4, 19, 4, 20), "decisions[1].degrees.pp")
    # TP 16 on stages of 8 GPUs (PL501's finding): weights sharded 16 ways would look as if they fit.
    stages = [Stage(index, (index * 63, index * 63 + 63), tuple(range(index * 8, index * 8 + 8)), attn_tp=16,
                    ffn_tp=16) for index in range(2)]
    facts = DeploymentFacts(Deployment(plan, model, 1, stages), gpu=find_gpu("A100-80GB"))
    assert list(rule.check(LintContext(FILE, deployments=[facts]))) == []
