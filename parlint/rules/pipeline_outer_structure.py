"""PP is the outer structure: stages own distinct layers and distinct GPUs, with TP/EP groups inside each.

What: checks the stages of a plan (``kind: ParallelPlan``): two stages on the same GPU ids (a stage
replicating another's TP/EP group instead of owning GPUs); two stages holding the same layers; every
stage holding the whole model (PP used as a replica count); a TP or EP group larger than its stage,
which would span two stages. (Engine configs cannot express these: their rank layout keeps groups
inside a stage, and an EP size that does not tile the stage is PL204's.)

Why: seed 5: "PP splits layers into pipeline stages; each stage may internally use TP or EP; PP does NOT
replicate TP or EP groups", with the hierarchy ``PP (layer split) -> TP / EP (inside each stage)``. The
engines build it that way: vLLM lays ranks out "DP x PP x TP" (``ModelConfig.get_layers_start_end_indices``,
``pp_rank = (rank // tensor_parallel_size) % pipeline_parallel_size``), TensorRT-LLM ``pp_rank = rank //
(tp x cp)`` (``Mapping``), so a TP group never leaves its stage and no two stages share a GPU. A
pipeline whose stages all hold every layer is DP written as PP: each "stage" is a full replica.

Example (bad)::

    kind: ParallelPlan
    model: meta-llama/Llama-3.1-70B-Instruct
    stages:
      - {layers: [0, 40], gpus: [0, 1, 2, 3, 4, 5, 6, 7], attention: {tp: 8}}
      - {layers: [40, 80], gpus: [0, 1, 2, 3, 4, 5, 6, 7], attention: {tp: 8}}

Example (good)::

    stages:
      - {layers: [0, 40], gpus: [0, 1, 2, 3, 4, 5, 6, 7], attention: {tp: 8}}
      - {layers: [40, 80], gpus: [8, 9, 10, 11, 12, 13, 14, 15], attention: {tp: 8}}

Fix: give every stage its own GPUs and its own block of layers, size TP and EP groups to the stage's
GPUs, and write full copies of the model as replicas (DP), not as stages.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Suggestion
from parlint.linter.plan import DeclaredStage

CODE = "PL501"
NAME = "pipeline-outer-structure"
SECTION = "5"
SEVERITY = "error"
FIXABLE = False


def _ids(gpus: set[int]) -> str:
    ordered = sorted(gpus)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(gpu) for gpu in ordered)


def _layers(stage: DeclaredStage) -> str:
    return f"[{stage.layers[0]}, {stage.layers[1]})"


def _all_full_copies(facts: DeploymentFacts) -> bool:
    """Every declared stage holds the whole model: PP written where DP is meant."""
    stages, model = facts.plan.stages, facts.model
    if len(stages) < 2 or len({stage.layers for stage in stages}) != 1 or model is None:
        return False
    first, last = stages[0].layers
    return first <= 0 and last >= model.num_layers


def _stage_as_replicas(facts: DeploymentFacts) -> Iterator[Finding]:
    stages, model = facts.plan.stages, facts.model
    if not _all_full_copies(facts) or model is None:
        return
    count = len(stages)
    yield finding((stages[1].file, stages[1].range),
                  f"all {count} pipeline stages hold every layer {_layers(stages[0])} of {model.id}: that is "
                  f"{count} replicas (DP {count}), not a pipeline; PP splits the layers into one block per "
                  f"stage and does not replicate TP/EP groups",
                  suggestion=Suggestion(f"{count} replicas of one stage", {"replicas": count, "pp": 1}))


def _shared_layers(facts: DeploymentFacts) -> Iterator[Finding]:
    stages = facts.plan.stages
    if _all_full_copies(facts):
        return
    for index, stage in enumerate(stages):
        if stage.layers[1] <= stage.layers[0]:
            continue
        twin = next((earlier for earlier in range(index) if stages[earlier].layers == stage.layers), None)
        if twin is not None:
            yield finding((stage.file, stage.range),
                          f"stages {twin} and {index} both hold layers {_layers(stage)}: a stage replicates "
                          f"another instead of owning its own block of layers (PP does not replicate TP/EP "
                          f"groups)")


def _shared_gpus(facts: DeploymentFacts) -> Iterator[Finding]:
    stages = facts.plan.stages
    for index, stage in enumerate(stages):
        if not stage.gpus:
            continue
        for earlier in range(index):
            other = stages[earlier].gpus
            shared = set(stage.gpus) & set(other or ())
            if shared:
                yield finding((stage.file, stage.range),
                              f"stages {earlier} and {index} share GPUs {_ids(shared)}: each pipeline stage "
                              f"owns its own GPUs, with its TP/EP groups inside them; a stage on another "
                              f"stage's GPUs replicates that stage's group instead of extending the pipeline")
                break


def _groups_span_stages(facts: DeploymentFacts) -> Iterator[Finding]:
    plan = facts.plan
    for index, stage in enumerate(plan.stages):
        if not stage.gpus:
            continue
        size = len(stage.gpus)
        for label, group in (("attention TP", stage.attention_tp), ("expert-parallel", stage.expert_parallel)):
            if group is not None and group > size:
                yield finding((stage.file, stage.range),
                              f"{label} group of {group} GPUs on stage {index} of {size} GPUs would span "
                              f"{-(-group // size)} stages: TP and EP groups live inside one stage; use "
                              f"{label} {size} or give the stage {group} GPUs")


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _stage_as_replicas(facts)
        yield from _shared_layers(facts)
        yield from _shared_gpus(facts)
        yield from _groups_span_stages(facts)
