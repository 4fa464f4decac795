"""Sequence and context parallelism live inside attention, coupled to its tensor-parallel group.

What: reports context-parallel degrees the engines refuse (vLLM decode CP not dividing TP, DCP with
PCP, DCP beyond what a GQA/MQA model's KV heads allow; SGLang DCP and attention CP not dividing TP;
TensorRT-LLM CP with MoE), and ParallelPlan files that decide SP/CP outside the operator step or give a
stage an attention SP that neither reuses its TP ranks nor partitions its GPUs beside TP.

Why: SP operates on the sequence dimension, only inside attention, coupled with TP (seed §2.5; design
note §1: decode CP reuses the TP ranks, prefill CP partitions the stage beside TP). The engines enforce
the coupling (``shared/reference/frameworks.md``): vLLM ``ParallelConfig._validate_parallel_config``
("tp_size={tp} must be divisible by dcp_size={dcp}.", "When PCP is enabled, DCP must be disabled, span
the PCP axis, or span the full TP x PCP axis."), ``ModelConfig.verify_with_parallel_config`` for GQA/MQA
("Decode context parallelism for GQA/MQA requires --tensor-parallel-size (…) to be greater than the
model's total number of KV heads (…)", "--decode-context-parallel-size (…) exceeds the maximum supported
value (…)", "The model's number of query heads per KV head (…) must be divisible by
--decode-context-parallel-size (…) for GQA/MQA."; these checks apply to GQA/MQA models only, not MLA);
SGLang ``parallel_state`` and ``parallel_hook.handle_context_parallelism``; TensorRT-LLM
``MappingBase.__init__`` ("CP … doesn't support MoE tp/ep yet").

Example (bad), Llama-3.1-70B has 8 KV heads, so TP 8 leaves no room for decode CP::

    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 8
    decode-context-parallel-size: 2

Example (good), DeepSeek-V3's MLA cache is one latent, shared by all heads::

    model: deepseek-ai/DeepSeek-V3
    tensor-parallel-size: 8
    decode-context-parallel-size: 8

Fix: choose a decode CP size that divides TP and, for GQA/MQA, at most TP / KV heads; decide SP/CP
together with TP in the operator step.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding
from parlint.rules._expert_parallel import quoted, rejection_finding, rejections_of

CODE = "PL205"
NAME = "sequence-parallel-scope"
SECTION = "2.5"
SEVERITY = "error"
FIXABLE = False

# Engine rejection kind -> the context-parallel setting it is about (the value the finding points at).
ENGINE_KINDS = {
    "vllm-dcp-not-dividing-tp": "dcp", "vllm-dcp-with-pcp": "dcp", "sglang-dcp-not-dividing-tp": "dcp",
    "sglang-tp-not-divisible-by-attn-cp": "cp", "trtllm-cp-moe": "cp",
}
# Decode-CP rejections whose fix is a degree that divides TP: the message lists those degrees.
DIVIDING_KINDS = frozenset({"vllm-dcp-not-dividing-tp", "sglang-dcp-not-dividing-tp"})
SEQUENCE_DEGREES = ("sp", "cp")
OPERATOR_STEP = "operator"


def _engine_rejections(facts: DeploymentFacts) -> Iterator[Finding]:
    tp = facts.plan.get("tp", 1)
    for rejection in rejections_of(facts.deployment, frozenset(ENGINE_KINDS)):
        message = (quoted(rejection.message) + ": context parallelism splits the sequence inside attention and "
                   "reuses or tiles the TP group")
        if rejection.kind in DIVIDING_KINDS and isinstance(tp, int) and tp > 1:
            sizes = ", ".join(str(size) for size in range(1, tp + 1) if tp % size == 0)
            message += f"; sizes that divide TP {tp}: {sizes}"
        yield rejection_finding(facts.plan, rejection, message, facts.plan.source(ENGINE_KINDS[rejection.kind]))


def _vllm_dcp_heads(facts: DeploymentFacts) -> Iterator[Finding]:
    """vLLM ``ModelConfig.verify_with_parallel_config``: DCP limits for GQA/MQA models (not MLA)."""
    plan, model = facts.plan, facts.model
    dcp_source = plan.source("dcp")
    if plan.engine != "vllm" or model is None or dcp_source is None or model.attention.kind == "mla":
        return
    if rejections_of(facts.deployment, frozenset(ENGINE_KINDS)):  # the engine stops at the TP coupling first
        return
    dcp, tp = dcp_source.value, plan.get("tp", 1)
    if not isinstance(tp, int) or not isinstance(dcp, int) or dcp <= 1:
        return
    kv, heads = model.attention.kv_heads, model.attention.heads
    related = [(plan.model, f"model {model.id}: {heads} heads, {kv} KV heads")] if plan.model else []
    if tp <= kv:
        reason = (f"Decode context parallelism for GQA/MQA requires --tensor-parallel-size ({tp}) to be greater "
                  f"than the model's total number of KV heads ({kv})")
    elif dcp > tp // kv:
        reason = f"--decode-context-parallel-size ({dcp}) exceeds the maximum supported value ({tp // kv})"
    elif (heads // kv) % dcp:
        reason = (f"The model's number of query heads per KV head ({heads // kv}) must be divisible by "
                  f"--decode-context-parallel-size ({dcp}) for GQA/MQA")
    else:
        return
    limit = tp // kv
    sizes = [size for size in range(2, limit + 1) if tp % size == 0 and (heads // kv) % size == 0]
    valid = (f"decode CP sizes that fit TP {tp}: {', '.join(map(str, sizes))}" if sizes else
             f"TP {tp} leaves no room for decode CP: each GPU already holds a single KV head")
    yield finding(dcp_source, f"{reason}; {valid}", related=related)


def _plan_claims(facts: DeploymentFacts) -> Iterator[Finding]:
    plan = facts.plan
    for decision in plan.decisions:
        claimed = [name for name in SEQUENCE_DEGREES if decision.degrees.get(name, 1) > 1]
        if claimed and decision.step != OPERATOR_STEP:
            yield finding(
                (decision.file, decision.range),
                f"{'/'.join(name.upper() for name in claimed)} decided in the {decision.step!r} step: sequence "
                f"and context parallelism split the sequence inside attention, so they are operator-level "
                f"parallelism decided with TP in the 'operator' step",
            )
    for stage in plan.stages:
        sp, tp, gpus = stage.attention_sp, stage.attention_tp, stage.gpus
        if sp is None or sp <= 1 or tp is None or gpus is None:
            continue
        if tp % sp and tp * sp != len(gpus):
            yield finding(
                (stage.file, stage.range),
                f"attention SP {sp} is not coupled to the stage's attention TP {tp}: it neither reuses the TP "
                f"ranks ({tp} % {sp} = {tp % sp}) nor partitions the stage's {len(gpus)} GPUs beside TP "
                f"({tp} x {sp} = {tp * sp})",
            )


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _engine_rejections(facts)
        yield from _vllm_dcp_heads(facts)
        yield from _plan_claims(facts)
