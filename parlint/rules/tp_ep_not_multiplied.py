"""TP and EP are not multiplied: with expert parallelism on, experts are not also tensor-sliced.

What: reports a MoE phase that runs expert parallelism and tensor parallelism inside experts at once
(expert TP > 1 with EP > 1: SGLang ``ep-size`` below ``tp-size``, TensorRT-LLM
``moe_tensor_parallel_size`` > 1, Megatron ETP > 1), TensorRT-LLM MoE sizes whose product is not
the tensor parallel size, and a TensorRT-LLM MoE cluster size combined with expert parallelism.

Why: TP applies to attention and the dense FFN, EP to expert instances; they are different submodules
and must not be multiplied (seed §4), and TP inside experts by default is an invalid pattern (seed §7).
The engines make the product explicit: SGLang derives ``moe_tp_size = tp_size // ep_size // moe_dp_size``
(``runtime_context.derive_parallel_widths``), so ``--tp-size 8 --ep-size 4`` cuts every expert in two;
TensorRT-LLM's ``MappingBase.__init__`` requires ``"moe_tp_size * moe_ep_size * moe_cluster_size must
equal to moe_world_size"`` (the TP size; TP x CP with a non-ULYSSES CP type), so writing both as the TP
size (``8 x 8 = 64``) is refused (``shared/reference/frameworks.md`` §2.1, §4.3); the same function
asserts that ``moe_cluster_size > 1`` requires ``moe_ep_size == 1`` (an assert without a message; parlint
words it): the deprecated cluster split is a third way to divide the MoE group and excludes EP.
A GPU request equal to TP x EP is reported by PL101.

Example (bad), SGLang on 8 GPUs::

    python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp-size 8 --ep-size 4

Example (good)::

    python -m sglang.launch_server --model-path deepseek-ai/DeepSeek-V3 --tp-size 8 --ep-size 8

Fix: give EP all GPUs of the stage and expert TP 1: SGLang ``ep-size`` equal to ``tp-size``;
TensorRT-LLM ``moe_expert_parallel_size`` equal to ``tensor_parallel_size`` with
``moe_tensor_parallel_size: 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from parlint.linter.constraints import expert_shard_problems, experts_per_rank
from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Suggestion
from parlint.linter.plan import DeclaredPlan
from parlint.rules._expert_parallel import (
    ep_remedy,
    first_source,
    model_name,
    moe_mapping,
    quoted,
    rejection_finding,
    rejections_of,
)

CODE = "PL401"
NAME = "tp-ep-not-multiplied"
SECTION = "4, 7"
SEVERITY = "error"
FIXABLE = False

PRODUCT_KINDS = frozenset({"trtllm-moe-tp-ep-product"})
CLUSTER_KINDS = frozenset({"trtllm-moe-cluster-with-ep"})


def _experts_sliced_under_ep(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model = facts.plan, facts.model
    if model is None or model.moe is None or not model.is_moe:
        return
    stage = next((stage for stage in facts.deployment.stages if stage.moe is not None), None)
    if stage is None or stage.moe is None or stage.moe.ep <= 1 or stage.moe.expert_tp <= 1:
        return
    at = first_source(plan, "moe_tp", "ep", "tp")
    if at is None:
        return
    ep, expert_tp = stage.moe.ep, stage.moe.expert_tp
    size = ep * expert_tp
    width = model.moe.moe_intermediate_size
    message = (
        f"expert parallelism {ep} is multiplied with tensor parallelism {expert_tp} inside the experts on the "
        f"same {size} GPUs: each of {model_name(model)}'s {model.moe.experts} experts is cut into "
        f"{width} / {expert_tp} = {width // expert_tp}-wide slices"
    )
    problems = expert_shard_problems(model, expert_tp)
    if problems:
        message += "; " + "; ".join(problem.message for problem in problems)
    remedy, settings = ep_remedy(plan, size)
    low, high = experts_per_rank(model.moe.experts + stage.moe.redundant_experts, size)
    held = str(low) if low == high else f"{low} or {high}"
    message += f"; use EP {size} with whole experts ({remedy}): {held} per GPU"
    related = [(other, f"{other.spelling or 'value'} = {other.value}")
               for other in (plan.source("tp"), plan.source("ep")) if other is not None and other is not at]
    yield finding(at, message, related=related, suggestion=Suggestion(
        f"expert parallelism over the {size} GPUs without tensor parallelism inside experts",
        {"settings": settings, "moe": moe_mapping(model.moe.experts, size, stage.moe.redundant_experts)},
    ))


def _written_int(plan: DeclaredPlan, name: str) -> int | None:
    value = plan.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _trtllm_product(facts: DeploymentFacts) -> Iterator[Finding]:
    """TensorRT-LLM ``MappingBase.__init__``: moe_tp x moe_ep (x cluster) must equal the TP size; an unset
    size is derived by floor division, so ``ep 3`` with ``tp 8`` gives ``moe_tp 2`` and still fails."""
    plan = facts.plan
    if plan.engine != "trtllm":
        return
    tp = _written_int(plan, "tp") or 1
    rejected = rejections_of(facts.deployment, PRODUCT_KINDS)
    suffix = (f"; TP and EP share the same {tp} GPUs: write moe_tensor_parallel_size x "
              f"moe_expert_parallel_size = {tp}, e.g. `moe_expert_parallel_size: {tp}`, "
              "`moe_tensor_parallel_size: 1`")
    at = first_source(plan, "moe_tp", "ep")
    for rejection in rejected:
        yield rejection_finding(plan, rejection, quoted(rejection.message) + suffix, at)
    moe_ep, moe_tp = _written_int(plan, "ep"), _written_int(plan, "moe_tp")
    if rejected or at is None or (moe_ep is None and moe_tp is None):
        return
    moe_ep = moe_ep if moe_ep is not None else tp // (moe_tp or 1)
    moe_tp = moe_tp if moe_tp is not None else tp // moe_ep
    if moe_ep * moe_tp == tp:
        return
    tp_source = plan.source("tp")
    yield finding(
        at,
        f"moe_tp_size * moe_ep_size * moe_cluster_size must equal to moe_world_size, but got "
        f"{moe_tp} x {moe_ep} = {moe_tp * moe_ep} for tensor parallel size {tp}" + suffix,
        related=[(tp_source, f"tensor parallel size {tp}")] if tp_source is not None else [],
    )


def _trtllm_cluster(facts: DeploymentFacts) -> Iterator[Finding]:
    """TensorRT-LLM ``MappingBase.__init__``: a MoE cluster size above 1 needs ``moe_ep_size == 1``."""
    plan = facts.plan
    at = plan.source("moe_cluster")
    if at is None:
        return
    tp = _written_int(plan, "tp") or 1
    remedy, settings = ep_remedy(plan, tp)
    for rejection in rejections_of(facts.deployment, CLUSTER_KINDS):
        ep = plan.source("ep")
        ep_text = f"moe_expert_parallel_size {ep.value}" if ep is not None else "expert parallelism"
        found = rejection_finding(
            plan, rejection,
            f"moe_cluster_parallel_size {at.value} with {ep_text}: TensorRT-LLM fails with "
            f"\"{quoted(rejection.message)}\"; the cluster split (deprecated) is another way to divide the MoE "
            f"group of {tp} GPUs and cannot be combined with EP: remove moe_cluster_parallel_size and spread whole "
            f"experts over the {tp} GPUs ({remedy})",
            at,
        )
        yield replace(found, suggestion=Suggestion(f"expert parallelism over the {tp} GPUs, no MoE cluster", settings))


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        product = list(_trtllm_product(facts)) + list(_trtllm_cluster(facts))
        yield from product
        if not product:  # a refused product has no MoE phase to judge
            yield from _experts_sliced_under_ep(facts)
