"""Expert parallelism maps whole experts onto all GPUs of a stage: only for MoE models, evenly, over the stage.

What: reports expert parallelism on a dense model; (routed + redundant) experts that the EP size does
not divide, as an error where the engine requires an even split and a warning where it spreads the
remainder; an expert group that covers only part of its stage's GPUs, so that every expert is held by
several GPUs; and the EPLB settings vLLM refuses.

Why: EP operates on experts and, for MoE inference, EP ≈ GPU_total: one expert group over the stage's
GPUs, each holding its own whole experts (seed §2.4, §3). The engines enforce the pieces
(``shared/reference/frameworks.md``): vLLM ``_verify_with_expert_parallelism`` ("Number of experts in the
model must be greater than 0 when expert parallelism is enabled."), vLLM ``FusedMoEFactory`` with EPLB
("EPLB currently only supports even distribution of experts across ranks."; without EPLB
``determine_expert_map`` gives the first E % ep ranks one more expert), SGLang ``FusedMoE.__init__``
(``_num_global_routed % storage_ep_size == 0``, redundant experts included), TensorRT-LLM
``_init_load_balancer`` ("does not support non-divisible EP" unless the MoE backend opts in), DeepSpeed
``MoE.__init__`` ("Number of experts (…) should be divisible by expert parallel size (…)"). An expert
group smaller than the stage replicates every expert instead of spreading them: DeepSpeed builds
``world_size // ep_size`` expert groups (``InferenceEngine._create_ep_parallel_group``); for SGLang
``moe-dp-size`` parlint reads the ``moe_dp_size`` factor of ``moe_tp_size = tp_size // ep_size //
moe_dp_size`` as copies of the expert group (its own reading; frameworks.md states only the formula).

Example (bad), Qwen3-30B-A3B has 128 experts; SGLang needs them split evenly::

    python -m sglang.launch_server --model-path Qwen/Qwen3-30B-A3B --tp-size 6 --ep-size 6

Example (good)::

    python -m sglang.launch_server --model-path Qwen/Qwen3-30B-A3B --tp-size 8 --ep-size 8

Fix: drop EP on dense models; choose an EP size from the valid sizes the message lists (or add redundant
experts so the total divides); spread the expert group over all GPUs of the stage.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.constraints import experts_per_rank, uneven_experts_allowed, valid_ep_sizes
from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Severity, Suggestion
from parlint.linter.mapping import Stage
from parlint.linter.plan import Sourced
from parlint.rules._expert_parallel import (
    engine_name,
    ep_remedy,
    first_source,
    model_name,
    moe_mapping,
    quoted,
    rejection_finding,
    rejections_of,
)

CODE = "PL204"
NAME = "expert-parallel-scope"
SECTION = "2.4"
SEVERITY = "error"
FIXABLE = False

DENSE_KINDS = frozenset({"vllm-ep-on-dense-model"})
SPLIT_KINDS = frozenset({
    "vllm-eplb-uneven-experts", "sglang-experts-not-divisible-by-ep", "deepspeed-experts-not-divisible-by-ep",
})
SPAN_KINDS = frozenset({"sglang-tp-not-divisible-by-ep"})
# MoE sizes the engine refuses outright (PL401 reports them): no expert group is built to judge.
REFUSED_MOE_KINDS = frozenset({"trtllm-moe-cluster-with-ep"})
EPLB_KINDS = frozenset({"vllm-eplb-without-ep", "vllm-eplb-without-parallelism", "vllm-redundant-without-eplb"})


def _moe_stage(facts: DeploymentFacts) -> Stage | None:
    return next((stage for stage in facts.deployment.stages if stage.moe is not None), None)


def _dense_model(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    if model is None or model.is_moe:
        return
    prefix = f"{model_name(model)} is a dense model without experts"
    rejected = rejections_of(facts.deployment, DENSE_KINDS)
    for rejection in rejected:
        switch = rejection.sources[0].spelling if rejection.sources and rejection.sources[0].spelling else (
            "the expert-parallel setting")
        yield rejection_finding(plan, rejection, f"{prefix}: {quoted(rejection.message)}; remove {switch} and keep "
                                f"tensor parallelism for its attention and dense FFN")
    if rejected:
        return
    ep, enabled = plan.source("ep"), plan.source("enable_ep")
    if ep is not None and isinstance(ep.value, int) and ep.value > 1:
        yield finding(ep, f"{prefix}: expert parallel size {ep.value} has nothing to distribute; remove it")
    elif enabled is not None and enabled.value is True:
        yield finding(enabled, f"{prefix}: expert parallelism has nothing to distribute; remove it")


def _expert_split(facts: DeploymentFacts, stage: Stage) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    if model is None or model.moe is None or stage.moe is None or stage.moe.ep <= 1:
        return
    ep, redundant = stage.moe.ep, stage.moe.redundant_experts
    total = model.moe.experts + redundant
    if total % ep == 0:
        return
    counted = f"{model.moe.experts} routed + {redundant} redundant experts" if redundant else (
        f"{model.moe.experts} experts")
    valid = ", ".join(str(size) for size in valid_ep_sizes(total, ep))
    low, high = experts_per_rank(total, ep)
    at = first_source(plan, "ep", "dp", "tp", "enable_ep")
    rejected = rejections_of(facts.deployment, SPLIT_KINDS)
    for rejection in rejected:
        yield rejection_finding(plan, rejection, f"{counted} of {model_name(model)} over EP {ep}: "
                                f"{quoted(rejection.message)}; valid EP sizes up to {ep}: {valid}", at)
    if rejected or at is None:
        return
    related = [(plan.model, f"model {model.id}")] if plan.model else []
    eplb = plan.get("eplb") is True
    if uneven_experts_allowed(plan.engine, eplb):
        yield finding(
            at,
            f"{counted} of {model_name(model)} do not divide evenly over EP {ep}: the first {total % ep} ranks "
            f"hold {high} experts and the others {low}, so the fullest GPUs set the pace; "
            f"even EP sizes up to {ep}: {valid}",
            related=related, severity=Severity.WARNING,
        )
        return
    requirement = f"{engine_name(plan.engine)} requires an even split"
    if plan.engine == "trtllm":
        requirement += " unless the MoE backend supports non-divisible EP"
    yield finding(
        at,
        f"{counted} of {model_name(model)} are not divisible by expert parallel size {ep}: {requirement}; "
        f"valid EP sizes up to {ep}: {valid}",
        related=related,
    )


def _span(facts: DeploymentFacts, stage: Stage) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    if model is None or model.moe is None or stage.moe is None:
        return
    rejected = rejections_of(facts.deployment, SPAN_KINDS)
    for rejection in rejected:
        yield rejection_finding(plan, rejection, f"the expert group must tile the stage's {stage.size} GPUs: "
                                f"{quoted(rejection.message)}")
    group = stage.moe.ep * stage.moe.expert_tp
    refused = rejected or rejections_of(facts.deployment, REFUSED_MOE_KINDS)
    if refused or group < 1 or group >= stage.size or stage.size % group:
        return
    at = first_source(plan, "ep", "moe_dp", "tp")
    if at is None:
        return
    copies = stage.size // group
    remedy, settings = ep_remedy(plan, stage.size)
    per_gpu = experts_per_rank(model.moe.experts, stage.size)
    held = str(per_gpu[0]) if per_gpu[0] == per_gpu[1] else f"{per_gpu[0]} or {per_gpu[1]}"
    # Engine degrees that size the stage; a plan's stages state their GPUs themselves (its tp is attention's).
    sizing = ("tp", "moe_dp") if plan.engine != "parlint" else ()
    related = [(source, f"{source.spelling or 'value'} = {source.value}")
               for name in sizing if (source := plan.source(name)) is not None and source is not at]
    related += [(Sourced(declared.expert_parallel, declared.file, declared.range), f"stage {index}: experts ep "
                 f"{declared.expert_parallel} on {len(declared.gpus or ())} GPUs")
                for index, declared in enumerate(plan.stages) if declared.expert_parallel is not None]
    yield finding(
        at,
        f"the expert group of {group} GPUs (EP {stage.moe.ep}) covers only part of the stage's {stage.size} "
        f"GPUs: each of {model_name(model)}'s {model.moe.experts} experts is held by {copies} GPUs; spread the "
        f"experts over all {stage.size} GPUs ({remedy}), {held} whole experts each",
        related=related,
        suggestion=Suggestion(
            f"expert parallelism over all {stage.size} GPUs of the stage",
            {"settings": settings, "moe": moe_mapping(model.moe.experts, stage.size)},
        ),
    )


def _eplb(facts: DeploymentFacts) -> Iterator[Finding]:
    for rejection in rejections_of(facts.deployment, EPLB_KINDS):
        yield rejection_finding(facts.plan, rejection, rejection.message)


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _dense_model(facts)
        yield from _eplb(facts)
        stage = _moe_stage(facts)
        if stage is not None:
            yield from _expert_split(facts, stage)
            yield from _span(facts, stage)
