"""Decide in the mandatory order: model structure, then structural PP/EP, then operator TP/SP, then DP last.

What: checks a plan's decision log (``kind: ParallelPlan`` ``decisions``): the structure step must
come first and be there at all; the steps must not go back (structural after operator, anything after
data); each degree must be decided in its own step (PP and EP structural, TP and SP/CP operator, DP
data). For every config it warns when PP > 1 although one stage, as configured, would hold the whole
model: PP is chosen for memory. That check needs the model and a known GPU (from the file, the
configuration or ``--gpu``) and stays silent otherwise.

Why: seed 6 makes the order non-negotiable: "1. Identify model structure (layers, attention, MoE);
2. Decide structural parallelism (PP for memory constraints, EP for MoE inference); 3. Decide
operator-level parallelism (TP / SP for attention and FFN); 4. Decide DP last (only for request-level
concurrency). Any plan violating this order is invalid." Deciding TP before the layer split, or DP
before the structure, is how mechanically multiplied plans come about (seed 1, 7). PP exists for memory
(seed 6, step 2): a pipeline whose stages could each hold every layer only adds bubbles and hops, where
replicas (DP) would add throughput.

Example (bad)::

    kind: ParallelPlan
    model: meta-llama/Llama-3.1-70B-Instruct
    decisions:
      - {step: operator, degrees: {tp: 8}, reason: TP 8 fills the node}
      - {step: structure, reason: 80 layers, 64 heads, 8 KV heads, dense}
      - {step: data, degrees: {dp: 2}, reason: two nodes}

Example (good)::

    decisions:
      - {step: structure, reason: 80 layers, 64 heads, 8 KV heads, dense}
      - {step: structural, degrees: {pp: 1}, reason: 141 GB of BF16 weights fit one 8 x H100 node}
      - {step: operator, degrees: {tp: 8}, reason: 64 heads and 8 KV heads divide by 8}
      - {step: data, degrees: {dp: 2}, reason: one replica per node for throughput}

Fix: write the decision log in the seed's order, each degree in its own step; drop PP where a single
stage holds the model and use the GPUs for replicas instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Severity, Suggestion
from parlint.linter.plan import Decision

CODE = "PL601"
NAME = "reasoning-order"
SECTION = "6"
SEVERITY = "error"
FIXABLE = False

STEP_ORDER = ("structure", "structural", "operator", "data")
STEP_NAMES = {"structure": "model structure", "structural": "structural (PP/EP)", "operator": "operator (TP/SP)",
              "data": "data (DP)"}
# The step each degree belongs to (seed 6); attention DP partitions the attention phase inside the stage,
# so it may be settled with the operator degrees or with DP.
DEGREE_STEPS = {"pp": ("structural",), "ep": ("structural",), "tp": ("operator",), "sp": ("operator",),
                "cp": ("operator",), "dp": ("data",), "attn_dp": ("operator", "data")}


def _describe(decision: Decision) -> str:
    degrees = ", ".join(f"{name.upper()} {value}" for name, value in decision.degrees.items())
    return f"'{decision.step}'" + (f" ({degrees})" if degrees else "")


def _order(decisions: list[Decision]) -> Iterator[Finding]:
    known = [decision for decision in decisions if decision.step in STEP_ORDER]
    if not known:
        return
    if not any(decision.step == "structure" for decision in known):
        yield finding((known[0].file, known[0].range),
                      "the decision log has no structure step: identify the model structure first (layers, "
                      "attention heads and KV heads, MoE experts), then decide PP/EP, then TP/SP, then DP")
    latest = known[0]
    for decision in known[1:]:
        if STEP_ORDER.index(decision.step) < STEP_ORDER.index(latest.step):
            yield finding((decision.file, decision.range),
                          f"step {_describe(decision)} comes after step {_describe(latest)}: the mandatory order "
                          f"is {', then '.join(STEP_NAMES[step] for step in STEP_ORDER)} last")
        else:
            latest = decision


def _misplaced_degrees(decisions: list[Decision]) -> Iterator[Finding]:
    for decision in decisions:
        if decision.step not in STEP_ORDER:
            continue
        wrong = [(name, value) for name, value in decision.degrees.items()
                 if name in DEGREE_STEPS and decision.step not in DEGREE_STEPS[name]]
        for name, value in wrong:
            belongs = " or ".join(STEP_NAMES[step] for step in DEGREE_STEPS[name])
            yield finding((decision.file, decision.range),
                          f"{name.upper()} {value} is decided in the {STEP_NAMES[decision.step]} step; it belongs "
                          f"to the {belongs} step")


def _unneeded_pipeline(facts: DeploymentFacts) -> Iterator[Finding]:
    """PP > 1 while one stage, with the same TP/EP, would hold every layer and one full-length sequence.

    The memory budget is PL701's (engine memory fraction, KV dtype, sequence length) and, for a plan, the
    planner's margin, so the rules and the planner agree on what fits."""
    plan, model, gpu, deployment = facts.plan, facts.model, facts.gpu, facts.deployment
    pp_source = plan.source("pp")
    if pp_source is None or model is None or gpu is None or len(deployment.stages) < 2:
        return
    if len({stage.layers for stage in plan.stages}) < len(plan.stages):
        return  # stages that repeat layers are not a pipeline at all (PL501)
    from parlint.linter.planner import MEMORY_FRACTION
    from parlint.rules._memory_budget import (
        MemoryBudget,
        gib,
        kv_cache_bytes,
        memory_budget,
        sequence_tokens,
        stage_bytes,
    )

    budget, tokens = memory_budget(plan, gpu), sequence_tokens(plan, model)
    if (budget is None and plan.engine == "parlint") or (budget is not None and budget.fraction is None):
        # A plan names no engine fraction, and TensorRT-LLM's default is not documented: both are held to
        # the margin the planner plans with, so "one stage would hold it" never means "at 99% of the GPU".
        budget = MemoryBudget(gpu, MEMORY_FRACTION, "the planner's memory fraction", kv_only=False)
    if budget is None or tokens is None:
        return
    stage = max(deployment.stages, key=lambda item: item.size)
    ep, expert_tp = (stage.moe.ep, stage.moe.expert_tp) if stage.moe else (1, 1)
    if stage.attn_tp * stage.attn_dp > stage.size or ep * expert_tp > stage.size:
        # A group larger than its stage (PL501) shards over GPUs the stage does not have: no estimate.
        return
    whole = stage_bytes(model, (0, model.num_layers), stage.attn_tp, ep, expert_tp, True, True,
                    kv_cache_bytes(plan, model), tokens)
    if budget.shortfall(whole) > 0:
        return
    pp = len(deployment.stages)
    replicas = deployment.replicas * pp
    gpus = f"{stage.size} GPU{'' if stage.size == 1 else 's'}"
    yield finding(pp_source,
                  f"PP {pp} is for memory, but one stage of {gpus} (TP {stage.attn_tp}) would hold all "
                  f"{model.num_layers} layers of {model.id}: {gib(whole.weights)} of weights + "
                  f"{gib(whole.kv_cache)} of KV cache for {tokens} tokens + {gib(whole.overhead)} overhead "
                  f"= {gib(whole.total)} per GPU fits {budget.describe()}; drop PP and run {replicas} "
                  f"replicas of {gpus} for throughput",
                  severity=Severity.WARNING,
                  suggestion=Suggestion(f"PP 1, {replicas} replicas", {"pp": 1, "replicas": replicas,
                                                                         "tp": stage.attn_tp}))


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        decisions = facts.plan.decisions
        yield from _order(decisions)
        yield from _misplaced_degrees(decisions)
        yield from _unneeded_pipeline(facts)
