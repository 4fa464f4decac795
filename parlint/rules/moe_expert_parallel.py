"""A MoE model must be served with expert parallelism: experts map to GPUs whole, not tensor-sliced.

What: reports a MoE model whose MoE layers run with expert parallelism 1 and experts tensor-sharded
over the stage's GPUs (expert TP > 1). The message names the slice each GPU holds and, when the
checkpoint is block- or group-quantized, whether that slice is a whole number of blocks.

Why: for MoE inference EP ≈ GPU_total: each GPU hosts whole experts, with no tensor parallelism inside an
expert by default (seed §2.4, §3, §7). vLLM, SGLang, TensorRT-LLM and Megatron do the opposite unless told
(DeepSpeed inference instead keeps every expert whole on every rank, ``moe.ep_size`` 1, frameworks.md §3.5):
vLLM shards every expert over TP × DP × PCP ("By default, expert layers form a tensor parallel group of size
DP × TP.", ``FusedMoEParallelConfig.make``); SGLang's default ``ep_size = 1`` gives ``moe_tp_size = tp_size``;
TensorRT-LLM's ``MappingBase.__init__`` sets ``moe_tp = tp, moe_ep = 1``; Megatron's ETP defaults to TP. Thin
slices waste bandwidth and, with block-FP8 checkpoints, fail to load: vLLM ``validate_fp8_block_shape_moe``
("The output_size of gate's and up's weight = 192 is not divisible by weight quantization block_n = 128."),
SGLang ``check_quantized_moe_compatibility``; an expert width that TP does not divide fails
``FusedMoEConfig.__post_init__`` (vLLM) and ``FusedMoE.__init__`` (SGLang).

Example (bad), Qwen3-235B-A22B-FP8 has 128 experts of width 1536 in 128-wide FP8 blocks::

    model: Qwen/Qwen3-235B-A22B-FP8
    tensor-parallel-size: 8

Example (good)::

    model: Qwen/Qwen3-235B-A22B-FP8
    tensor-parallel-size: 8
    enable-expert-parallel: true

Fix: enable expert parallelism over the same GPUs: vLLM ``enable-expert-parallel: true``, SGLang
``ep-size`` equal to ``tp-size``, TensorRT-LLM ``moe_expert_parallel_size`` equal to
``tensor_parallel_size`` with ``moe_tensor_parallel_size: 1``. Fix (unsafe, flat YAML configs): those
keys are set or inserted beside the TP key with its indentation; in launch commands the flags
(``--enable-expert-parallel``, ``--ep-size N``) go right after the TP value, on its line or as new items in
the ``args`` list's own style. The GPUs stay the same, the mapping changes.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.constraints import EXPERT_SHARD_ENGINES, expert_shard_problems, experts_per_rank
from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Applicability, Finding, Suggestion
from parlint.rules._expert_parallel import engine_name, ep_remedy, first_source, model_name, moe_mapping

CODE = "PL301"
NAME = "moe-expert-parallel"
SECTION = "3"
SEVERITY = "error"
FIXABLE = True


def _tensor_sharded_experts(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model, deployment = facts.plan, facts.model, facts.deployment
    if model is None or model.moe is None or not model.is_moe:
        return
    stage = next((stage for stage in deployment.stages if stage.moe is not None), None)
    if stage is None or stage.moe is None or stage.moe.ep != 1 or stage.moe.expert_tp <= 1:
        return
    # An explicit "no EP" (EP switched off, EP size 1, TensorRT-LLM's MoE TP) is the wrong value; else TP.
    at = first_source(plan, "moe_tp", "enable_ep", "ep", "tp", "dp", "cp")
    if at is None:
        return
    from parlint.linter.fixes import settings_fix  # only files with a fix pay its import

    expert_tp, experts, width = stage.moe.expert_tp, model.moe.experts, model.moe.moe_intermediate_size
    message = (
        f"{model_name(model)} is a mixture-of-experts model served without expert parallelism: each of its "
        f"{experts} experts is cut into {width} / {expert_tp} = {width // expert_tp}-wide slices on "
        f"{expert_tp} GPUs (tensor parallelism inside experts; MoE inference maps whole experts to GPUs)"
    )
    problems = expert_shard_problems(model, expert_tp)
    if problems:
        refusal = (f"{engine_name(plan.engine)} refuses to load it" if plan.engine in EXPERT_SHARD_ENGINES
                   else "the slices are misaligned")
        message += "; " + "; ".join(problem.message for problem in problems) + f": {refusal}"
    size = expert_tp * stage.moe.ep
    remedy, settings = ep_remedy(plan, size)
    low, high = experts_per_rank(experts + stage.moe.redundant_experts, size)
    held = str(low) if low == high else f"{low} or {high}"
    message += f"; enable expert parallelism ({remedy}) so each GPU holds {held} whole experts"
    related = [(plan.model, f"model {model.id}")] if plan.model else []
    tp_written = first_source(plan, "tp", "dp")
    if tp_written is not None and tp_written is not at:
        related.append((tp_written, f"the MoE layers run on these {size} GPUs"))
    suggestion = Suggestion(
        f"expert parallelism over the {size} GPUs of the MoE phase: {held} whole experts per GPU",
        {"settings": settings, "moe": moe_mapping(experts, size, stage.moe.redundant_experts)},
    )
    fix = settings_fix(plan, tp_written or at, settings, Applicability.UNSAFE,
                       f"enable expert parallelism over the {size} GPUs")
    yield finding(at, message, related=related, suggestion=suggestion, fix=fix)


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _tensor_sharded_experts(facts)
