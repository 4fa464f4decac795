"""Pipeline parallelism splits the layer dimension: every stage owns one contiguous block of layers.

What: checks a pipeline against the model's layers. PP larger than the number of layers (stages with no
layer); a declared layer partition (``VLLM_PP_LAYER_PARTITION``, ``SGLANG_PP_LAYER_PARTITION``,
TensorRT-LLM ``pp_partition``) whose length is not PP, whose sum is not the layer count, or with an
empty stage; plan stages whose layer ranges leave a gap or overlap; PP on DeepSpeed inference, which
has none. An uneven default split is reported as information, naming the split the engine will use.

Why: PP operates on the layer dimension and each stage owns a contiguous block of layers (seed 2.3);
"use PP without respecting layer structure" is an invalid pattern (seed 7). The engines refuse a bad
partition at start-up: vLLM and SGLang ``get_pp_indices`` raise ``"len(partitions)=3 does not match
pp_size=4."`` and ``"sum(partitions)=79 does not match num_hidden_layers=80."``, TensorRT-LLM
``MappingBase.pp_layers`` the same with ``self.pp_partition``. vLLM does not check that PP is at most the
number of layers and builds zero-layer stages. DeepSpeed ``InferenceEngine._load_checkpoint`` raises
``"pipeline parallelism is currently not supported in inference."``. The default uneven splits differ by
engine: 61 layers on PP 4 are [15, 15, 16, 15] in vLLM, [15, 15, 15, 16] in SGLang and [16, 15, 15, 15]
in TensorRT-LLM.

Example (bad), Llama-3.1-70B has 80 layers::

    # VLLM_PP_LAYER_PARTITION=30,30,19 vllm serve --config llama.yaml
    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 8
    pipeline-parallel-size: 3

Example (good)::

    # VLLM_PP_LAYER_PARTITION=28,27,25
    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 8
    pipeline-parallel-size: 3

Fix: list exactly PP layer counts that add up to the model's layers, each at least one; keep PP at most
the number of layers; write plan stages as back-to-back ranges ``[0, a)``, ``[a, b)``, ... ``[z, layers)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext, finding, related_values
from parlint.linter.diagnostics import Finding, Severity, Suggestion
from parlint.linter.mapping import Rejection
from parlint.linter.plan import DeclaredStage, Sourced

CODE = "PL203"
NAME = "pipeline-parallel-scope"
SECTION = "2.3, 7"
SEVERITY = "error"
FIXABLE = False

ENGINE_NAMES = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}
PARTITION_REJECTIONS = ("pp-partition-length", "pp-partition-sum")


def _default_split(facts: DeploymentFacts) -> list[int]:
    """The split the engine falls back to, as derive() built it (its stages use the engine's own rule)."""
    return [stage.num_layers for stage in facts.deployment.stages]


def _split_suggestion(split: list[int]) -> Suggestion:
    return Suggestion(f"layer partition {','.join(str(part) for part in split)}",
                      {"pp": len(split), "pp_partition": split})


def _related(facts: DeploymentFacts, *names: str) -> list[tuple[Sourced[Any], str]]:
    return related_values(facts.plan, *names)


def _partition_rejection(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    partition = plan.source("pp_partition")
    at = partition or (rejection.sources[0] if rejection.sources else None)
    if at is None:
        return
    parts = list(partition.value) if partition is not None else []
    pp = int(plan.get("pp", 1) or 1)
    if rejection.kind == "pp-partition-length":
        message = (f"the layer partition {parts} has {len(parts)} stages but pipeline parallel size is {pp}; "
                   f"the engine refuses it: \"{rejection.message}\"")
    else:
        layers = model.num_layers if model is not None else "the model's"
        message = (f"the layer partition {parts} covers {sum(parts)} layers but the model has {layers}; "
                   f"the engine refuses it: \"{rejection.message}\"")
    split = _default_split(facts)
    suggestion = None
    if model is not None and split and sum(split) == model.num_layers:
        message += f"; for {model.num_layers} layers on PP {len(split)} write e.g. {','.join(map(str, split))}"
        suggestion = _split_suggestion(split)
    yield finding(at, message, related=_related(facts, "pp"), suggestion=suggestion)


def _partition_in_effect(facts: DeploymentFacts) -> Sourced[Any] | None:
    """The declared partition unless the engine ignores it (SGLang with PP 1, ``get_pp_indices``)."""
    plan = facts.plan
    partition = plan.source("pp_partition")
    if partition is None or not isinstance(partition.value, list):
        return None
    if plan.engine == "sglang" and int(plan.get("pp", 1) or 1) == 1:
        return None
    return partition


def _empty_stages(facts: DeploymentFacts) -> Iterator[Finding]:
    partition = _partition_in_effect(facts)
    if partition is None:
        return
    parts = list(partition.value)
    empty = [index for index, part in enumerate(parts) if not isinstance(part, int) or part <= 0]
    if empty:
        which = ", ".join(str(index) for index in empty)
        yield finding(partition, f"stage{'s' if len(empty) > 1 else ''} {which} of the layer partition {parts} "
                                 f"own{'' if len(empty) > 1 else 's'} no layers: every pipeline stage must own a "
                                 f"contiguous block of at least one layer; use fewer stages",
                      related=_related(facts, "pp"))


def _pp_exceeds_layers(facts: DeploymentFacts) -> Iterator[Finding]:
    pp_source, model = facts.plan.source("pp"), facts.model
    if pp_source is None or model is None or _partition_in_effect(facts) is not None:
        return
    pp, layers = int(pp_source.value), model.num_layers
    if pp > layers > 0:
        yield finding(pp_source,
                      f"pipeline parallel size {pp} exceeds the {layers} layers of {model.id}: {pp - layers} "
                      f"stages would own no layer (PP splits the layer dimension into one contiguous block per "
                      f"stage); use at most PP {layers}",
                      related=_related(facts))


def _uneven_split(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    pp_source, engine = plan.source("pp"), ENGINE_NAMES.get(facts.plan.engine)
    if pp_source is None or model is None or engine is None or _partition_in_effect(facts) is not None:
        return
    pp, layers = int(pp_source.value), model.num_layers
    split = _default_split(facts)
    if pp <= 1 or pp > layers or layers % pp == 0 or len(split) != pp or sum(split) != layers:
        return
    yield finding(pp_source,
                  f"{layers} layers on PP {pp} split [{', '.join(map(str, split))}] by {engine}'s rule: the "
                  f"stages with {max(split)} layers set the pace of the pipeline",
                  related=_related(facts), severity=Severity.INFO)


def _describe(stage: DeclaredStage) -> str:
    return f"[{stage.layers[0]}, {stage.layers[1]})"


def _declared_stages(facts: DeploymentFacts) -> Iterator[Finding]:
    """Plan stages must be back-to-back half-open ranges; identical ranges are PL501's (PP as replicas)."""
    stages = facts.plan.stages
    for index, stage in enumerate(stages):
        first, last = stage.layers
        if last <= first:
            yield finding((stage.file, stage.range),
                          f"stage {index} owns layers {_describe(stage)}: no layer; every pipeline stage owns a "
                          f"contiguous block of at least one layer")
            continue
        if index == 0:
            continue
        previous = stages[index - 1]
        if stage.layers == previous.layers or previous.layers[1] <= previous.layers[0]:
            continue
        end = previous.layers[1]
        if first > end:
            yield finding((stage.file, stage.range),
                          f"layers [{end}, {first}) belong to no stage: stage {index - 1} owns "
                          f"{_describe(previous)} and stage {index} starts at layer {first}; stage {index} "
                          f"must start at layer {end}")
        elif first < end:
            yield finding((stage.file, stage.range),
                          f"stage {index} {_describe(stage)} overlaps stage {index - 1} {_describe(previous)} "
                          f"on layers [{first}, {min(end, last)}): each layer belongs to exactly one stage; "
                          f"stage {index} must start at layer {end}")


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        for rejection in facts.deployment.rejections:
            if rejection.kind in PARTITION_REJECTIONS:
                yield from _partition_rejection(facts, rejection)
            elif rejection.kind == "deepspeed-no-pp" and rejection.sources:
                yield finding(rejection.sources[0],
                              f"DeepSpeed inference has no pipeline parallelism: \"{rejection.message}\"; "
                              f"shard with tensor parallelism (tensor_parallel.tp_size) instead")
        yield from _empty_stages(facts)
        yield from _pp_exceeds_layers(facts)
        yield from _uneven_split(facts)
        yield from _declared_stages(facts)
