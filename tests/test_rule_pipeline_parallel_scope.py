"""PL203 pipeline-parallel-scope: stages own contiguous, non-empty, disjoint layer blocks."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, Rejection, Stage
from parlint.linter.models.structure import Attention, ModelStructure
from parlint.linter.plan import DeclaredPlan, DeclaredStage, Sourced
from parlint.rules import pipeline_parallel_scope as rule

FILE = "serve.yaml"


def _model(layers: int, model_id: str = "meta-llama/Llama-3.1-70B") -> ModelStructure:
    return ModelStructure(model_id, "LlamaForCausalLM", layers, 8192, 128256, Attention("gqa", 64, 8, 128), 28672)


def _at(value: Any, line: int, spelling: str = "") -> Sourced[Any]:
    return Sourced(value, FILE, Range.of(line, 5, line, 5 + len(str(value))), spelling)


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 12, 1), model=_at("meta-llama/Llama-3.1-70B-Instruct", 1))
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = _at(value, line, name)
    return plan


def _deployment(plan: DeclaredPlan, model: ModelStructure | None, split: list[int],
                rejections: tuple[Rejection, ...] = ()) -> Deployment:
    stages, first = [], 0
    for index, size in enumerate(split):
        stages.append(Stage(index, (first, first + size), tuple(range(index * 8, index * 8 + 8)), attn_tp=8))
        first += size
    return Deployment(plan, model, 1, stages, rejections=list(rejections))


def _run(deployment: Deployment) -> list[Finding]:
    return list(rule.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_partition_length_rejection_points_at_the_partition_and_suggests_a_split() -> None:
    plan = _plan("vllm", tp=8, pp=4, pp_partition=[27, 27, 26])
    rejection = Rejection("pp-partition-length", "VLLM_PP_LAYER_PARTITION: len(partitions)=3 does not match "
                          "pp_size=4.", (plan.settings["pp_partition"], plan.settings["pp"]))
    [found] = _run(_deployment(plan, _model(80), [20, 20, 20, 20], (rejection,)))
    assert found.range.start.line == 4
    assert "[27, 27, 26] has 3 stages but pipeline parallel size is 4" in found.message
    assert "len(partitions)=3 does not match pp_size=4." in found.message
    assert "write e.g. 20,20,20,20" in found.message
    assert found.suggestion is not None and found.suggestion.mapping == {"pp": 4, "pp_partition": [20, 20, 20, 20]}


def test_partition_sum_rejection_states_both_counts() -> None:
    plan = _plan("trtllm", tp=8, pp=3, pp_partition=[30, 30, 19])
    rejection = Rejection("pp-partition-sum", "sum(self.pp_partition)=79 does not match num_layers=80.",
                          (plan.settings["pp_partition"],))
    [found] = _run(_deployment(plan, _model(80), [27, 27, 26], (rejection,)))
    assert "covers 79 layers but the model has 80" in found.message
    assert "write e.g. 27,27,26" in found.message


def test_empty_stage_in_partition() -> None:
    plan = _plan("vllm", pp=4, pp_partition=[40, 40, 0, 0])
    [found] = _run(_deployment(plan, _model(80), [40, 40, 0, 0]))
    assert "stages 2, 3 of the layer partition [40, 40, 0, 0] own no layers" in found.message


def test_sglang_ignores_the_partition_at_pp_1() -> None:
    plan = _plan("sglang", tp=8, pp_partition=[0, 80])
    assert _run(_deployment(plan, _model(80), [80])) == []


def test_pp_larger_than_layers() -> None:
    plan = _plan("vllm", pp=40)
    found = _run(_deployment(plan, _model(32, "meta-llama/Llama-3.1-8B"), [1] * 32 + [0] * 8))
    assert [item.message for item in found] == [
        "pipeline parallel size 40 exceeds the 32 layers of meta-llama/Llama-3.1-8B: 8 stages would own no "
        "layer (PP splits the layer dimension into one contiguous block per stage); use at most PP 32"]


def test_uneven_default_split_is_info_naming_the_engine_rule() -> None:
    plan = _plan("vllm", tp=8, pp=4)
    [found] = _run(_deployment(plan, _model(61, "deepseek-ai/DeepSeek-V3"), [15, 15, 16, 15]))
    assert found.severity is Severity.INFO
    assert found.message.startswith("61 layers on PP 4 split [15, 15, 16, 15] by vLLM's rule")


def test_even_split_and_unknown_model_are_silent() -> None:
    assert _run(_deployment(_plan("vllm", tp=8, pp=2), _model(80), [40, 40])) == []
    assert _run(_deployment(_plan("vllm", pp=4, pp_partition=[30, 30, 20]), None, [0, 0, 0, 0])) == []
    assert _run(_deployment(_plan("vllm", pp=400), None, [0] * 400)) == []


def test_deepspeed_has_no_pipeline_parallelism() -> None:
    plan = _plan("deepspeed", tp=4, pp=2)
    rejection = Rejection("deepspeed-no-pp", "pipeline parallelism is currently not supported in inference.",
                          (plan.settings["pp"],))
    [found] = _run(_deployment(plan, _model(80), [40, 40], (rejection,)))
    assert found.range.start.line == 3
    assert "DeepSpeed inference has no pipeline parallelism" in found.message


def _stage(first: int, last: int, line: int) -> DeclaredStage:
    return DeclaredStage((first, last), None, 8, None, FILE, Range.of(line, 5, line, 30))


def test_declared_stages_with_a_gap_an_overlap_and_an_empty_stage() -> None:
    plan = _plan("parlint", pp=4)
    plan.stages = [_stage(0, 20, 5), _stage(22, 40, 6), _stage(38, 60, 7), _stage(60, 60, 8)]
    messages = [item.message for item in _run(_deployment(plan, _model(80), [20, 20, 20, 20]))]
    assert messages == [
        "layers [20, 22) belong to no stage: stage 0 owns [0, 20) and stage 1 starts at layer 22; stage 1 must "
        "start at layer 20",
        "stage 2 [38, 60) overlaps stage 1 [22, 40) on layers [38, 40): each layer belongs to exactly one stage; "
        "stage 2 must start at layer 40",
        "stage 3 owns layers [60, 60): no layer; every pipeline stage owns a contiguous block of at least one "
        "layer",
    ]


def test_back_to_back_declared_stages_are_clean() -> None:
    plan = _plan("parlint", pp=2)
    plan.stages = [_stage(0, 40, 5), _stage(40, 80, 6)]
    assert _run(_deployment(plan, _model(80), [40, 40])) == []
