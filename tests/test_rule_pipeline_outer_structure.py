"""PL501 pipeline-outer-structure: stages own distinct layers and GPUs; TP/EP groups stay inside a stage."""

from __future__ import annotations

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range
from parlint.linter.mapping import Deployment
from parlint.linter.models.structure import Attention, ModelStructure
from parlint.linter.plan import DeclaredPlan, DeclaredStage
from parlint.rules import pipeline_outer_structure as rule

FILE = "plan.yaml"
LLAMA_70B = ModelStructure("meta-llama/Llama-3.1-70B", "LlamaForCausalLM", 80, 8192, 128256,
                           Attention("gqa", 64, 8, 128), 28672)


def _stage(layers: tuple[int, int], gpus: range | None, line: int, tp: int | None = 8,
           ep: int | None = None) -> DeclaredStage:
    return DeclaredStage(layers, tuple(gpus) if gpus is not None else None, tp, ep, FILE,
                         Range.of(line, 5, line, 60))


def _run(*stages: DeclaredStage, model: ModelStructure | None = LLAMA_70B) -> list[Finding]:
    plan = DeclaredPlan("parlint", FILE, Range.of(1, 1, 20, 1), stages=list(stages))
    deployment = Deployment(plan, model, 1, [])
    return list(rule.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_distinct_stages_are_clean() -> None:
    assert _run(_stage((0, 40), range(8), 6), _stage((40, 80), range(8, 16), 7)) == []


def test_stages_sharing_gpus_replicate_a_group() -> None:
    [found] = _run(_stage((0, 40), range(8), 6), _stage((40, 80), range(4, 12), 7))
    assert found.range.start.line == 7
    assert found.message.startswith("stages 0 and 1 share GPUs 4-7: each pipeline stage owns its own GPUs")


def test_pp_as_replica_count() -> None:
    found = _run(*(_stage((0, 80), range(8 * index, 8 * index + 8), 6 + index) for index in range(4)))
    assert [item.message.split(":")[0] for item in found] == [
        "all 4 pipeline stages hold every layer [0, 80) of meta-llama/Llama-3.1-70B"]
    assert found[0].suggestion is not None and found[0].suggestion.mapping == {"replicas": 4, "pp": 1}


def test_two_stages_with_the_same_partial_layers() -> None:
    [found] = _run(_stage((0, 40), range(8), 6), _stage((40, 80), range(8, 16), 7),
                   _stage((40, 80), range(16, 24), 8))
    assert found.range.start.line == 8
    assert found.message.startswith("stages 1 and 2 both hold layers [40, 80)")


def test_tp_or_ep_group_larger_than_its_stage_spans_two_stages() -> None:
    found = _run(_stage((0, 40), range(8), 6, tp=16), _stage((40, 80), range(8, 16), 7, tp=8, ep=16))
    assert [item.message.split(":")[0] for item in found] == [
        "attention TP group of 16 GPUs on stage 0 of 8 GPUs would span 2 stages",
        "expert-parallel group of 16 GPUs on stage 1 of 8 GPUs would span 2 stages",
    ]


def test_without_the_model_identical_stages_are_still_two_stages_on_the_same_layers() -> None:
    [found] = _run(_stage((0, 80), None, 6), _stage((0, 80), None, 7), model=None)
    assert found.message.startswith("stages 0 and 1 both hold layers [0, 80)")

