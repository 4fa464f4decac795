"""Tensor parallelism must fit the operators it shards: attention heads, KV heads, the dense FFN width.

What: checks the attention-TP and FFN-TP degrees of every stage against the model: attention heads
divisible by attention TP; KV heads divisible by TP, or TP a multiple of the KV heads (then each KV
head is replicated); the dense FFN width divisible by TP; vLLM's padded vocabulary divisible by TP;
every shard of a block- or group-quantized layer a whole number of blocks. It warns when a TP group
is larger than a node (TP belongs inside the NVLink domain; cross-node structure is PP). It rejects
plans that claim TP over embeddings, norms, routers or the whole model, and an SGLang dense-FFN TP
(``moe-dense-tp-size``) other than 1 or the TP size.

Why: TP is operator-level parallelism (seed 2.2): it splits heads and hidden dimensions inside one
layer. The engines refuse degrees that do not divide these dimensions at start-up, after the weights
are downloaded: vLLM ``"Total number of attention heads (64) must be divisible by tensor parallel size
(6)."`` (``ModelConfig.verify_with_parallel_config``), ``QKVParallelLinear`` for KV heads,
``MergedColumnParallelLinear`` for the FFN, ``VocabParallelEmbedding`` for the padded vocabulary and
``validate_fp8_block_shape`` for FP8 blocks; SGLang applies the same head rules to its attention-TP
group (``tp / attn-dp-size / attn-cp-size``); TensorRT-LLM asserts ``num_heads % tp_size == 0`` and replicates KV
heads; SGLang's ``validation_hook.check_server_args`` refuses ``"moe_dense_tp_size only supports None,
1, or tp_size currently"``. Embeddings, norms and routers are not TP's scope (seed 2.2, 7).

Example (bad), Llama-3.1-70B has 64 heads and 8 KV heads::

    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 6

Example (good)::

    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 8

Fix: choose a TP from the valid sizes the message lists; across nodes keep TP within the node and add
pipeline stages. Fix (unsafe, flat YAML configs and launch files): the TP value becomes the next valid
size up (else the largest below), the token replaced in place with its quotes (a YAML value, an ``args``
item, a shell word, a Helm value, a Python argument); it changes the GPU count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parlint.linter.constraints import tp_problems, valid_tp_sizes
from parlint.linter.context import DeploymentFacts, LintContext, finding, related_values
from parlint.linter.diagnostics import Applicability, Finding, Severity, Suggestion

CODE = "PL202"
NAME = "tensor-parallel-scope"
SECTION = "2.2, 7"
SEVERITY = "error"
FIXABLE = True

OUTSIDE_TP_SCOPE = frozenset(
    {"embedding", "embeddings", "embed", "lm_head", "norm", "norms", "layernorm", "rmsnorm", "router", "routers",
     "routing", "gate", "model", "whole-model", "whole_model", "all", "entire-model"}
)
DEFAULT_NODE_SIZE = 8
# SGLang ``validation_hook.check_server_args`` refuses this dense-FFN TP (derive.py Rejection kind).
DENSE_TP_REJECTION = "sglang-moe-dense-tp"


def _divisibility(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model, deployment = facts.plan, facts.model, facts.deployment
    tp_source = plan.source("tp")
    if model is None or tp_source is None or not deployment.stages:
        return
    stage = deployment.stages[0]
    tp = int(tp_source.value)
    problems = tp_problems(model, plan.engine, stage.ffn_tp, stage.attn_tp)
    if not problems:
        return
    from parlint.linter.fixes import settings_fix  # only files with a fix pay its import

    limit = max(deployment.gpus_per_node or DEFAULT_NODE_SIZE, DEFAULT_NODE_SIZE)
    valid = ", ".join(str(size) for size in valid_tp_sizes(model, plan.engine, limit))
    related = [(plan.model, f"model {model.id}")] if plan.model else []
    attn_dp = plan.source("attn_dp")
    if attn_dp is not None and stage.attn_tp != tp:
        related.append((attn_dp, f"attention TP is {tp} / {attn_dp.value} = {stage.attn_tp}"))
    reasons = "; ".join(problem.message for problem in problems)
    sizes = valid_tp_sizes(model, plan.engine, limit)
    # The next valid size up keeps every GPU the file asked for busy; else the largest below.
    nearest = min((size for size in sizes if size > tp), default=max(sizes, default=1))
    fix = suggestion = None
    if nearest != tp and stage.attn_tp == tp and tp <= limit:  # beyond a node the answer is structural (PP)
        fix = settings_fix(plan, tp_source, {"tp": nearest}, Applicability.UNSAFE,
                           f"set tensor parallel size {nearest}")
        suggestion = Suggestion(f"tensor parallel size {nearest} ({model.attention.heads} heads / {nearest} = "
                                f"{model.attention.heads // nearest} per GPU)", {"tp": nearest})
    yield finding(tp_source, f"{reasons}; valid sizes up to {limit}: {valid}", related=related, fix=fix,
                  suggestion=suggestion)


def _node_span(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, deployment = facts.plan, facts.deployment
    tp_source, node = plan.source("tp"), deployment.gpus_per_node
    if tp_source is None or node is None or not deployment.stages:
        return
    stage = deployment.stages[0]
    # The widest all-reduce group: attention, dense FFN or expert TP. Attention DP and EP span nodes by design
    # (SGLang's wide-EP: tp-size 16 with attn-dp-size 16 all-reduces nothing across nodes).
    group = max(stage.attn_tp, stage.ffn_tp, stage.moe.expert_tp if stage.moe else 1)
    if int(tp_source.value) > node and group > node:
        nodes = -(-group // node)
        inner_tp = _tp_inside_node(facts, group, node)
        per_replica = sum(stage.size for stage in deployment.stages)
        stages = per_replica // inner_tp
        related = [(source, f"{source.spelling or name} {source.value}")
                   for name, source in (("nnodes", plan.source("nnodes")), ("GPUs per node", plan.gpus_per_node))
                   if source is not None]
        replica = " per replica" if deployment.replicas > 1 else ""
        yield finding(
            tp_source,
            f"tensor parallel group of {group} GPUs spans {nodes} nodes of {node} GPUs: TP all-reduces every "
            f"layer over the inter-node network; keep TP {inner_tp} inside a node and use {stages} pipeline stages "
            f"across nodes (PP {stages} x TP {inner_tp} on the same {per_replica} GPUs{replica})",
            related=related,
            severity=Severity.WARNING,
            suggestion=_across_nodes(facts, inner_tp, stages),
        )


def _tp_inside_node(facts: DeploymentFacts, group: int, node: int) -> int:
    """The largest TP that fits a node, divides the group (so the same GPUs form whole stages) and, when the
    model is known, is valid for it."""
    model = facts.model
    sizes = valid_tp_sizes(model, facts.plan.engine, node) if model is not None else [node]
    return max((size for size in sizes if group % size == 0), default=1)


def _across_nodes(facts: DeploymentFacts, inner_tp: int, stages: int) -> Suggestion | None:
    """The message's mapping (TP inside a node, PP across nodes, on the file's GPUs): in the planner's words
    when the planner picks the same mapping for these GPUs, else with what it would pick and why (the
    planner needs the model and the GPU type)."""
    model, deployment, engine = facts.model, facts.deployment, facts.plan.engine
    if model is not None and stages > model.num_layers:
        return None
    from parlint.linter.planner import NoPlan, layer_split, plan_deployment

    gpus = deployment.gpus_total
    layers = layer_split(engine, model.num_layers, stages) if model is not None else [(0, 0)] * stages
    mapping: dict[str, Any] = {
        "gpus_total": gpus, "gpus_per_replica": stages * inner_tp, "replicas": deployment.replicas, "pp": stages,
        "tp": inner_tp, "stages": [{"layers": list(layer_range), "gpus": inner_tp} for layer_range in layers],
    }
    summary = (f"PP {stages} x TP {inner_tp} on the same {gpus} GPUs: {stages} stages of {inner_tp} GPUs, TP "
               "inside a node")
    if model is not None and model.is_moe:
        mapping["ep"] = inner_tp
        summary += f", EP {inner_tp} over each stage's GPUs"
    if model is None or facts.gpu is None:
        return Suggestion(summary, mapping)
    planned = plan_deployment(model, gpus=gpus, gpu=facts.gpu, gpus_per_node=deployment.gpus_per_node or 8,
                              engine=engine, objective=facts.objective or "throughput")
    if isinstance(planned, NoPlan):
        summary += f"; the planner finds no mapping that fits these GPUs: {planned.reason}"
        return Suggestion(summary, mapping)
    same_structure = (planned.pp, planned.stage_size, planned.gpus_used) == (stages, inner_tp, gpus)
    if same_structure and planned.attn_tp == inner_tp:
        return Suggestion(planned.summary(), planned.mapping())  # the planner's own words for the same mapping
    step = "operator" if same_structure else "structural"
    reason = next(item.reason for item in planned.steps if item.step == step)
    why = "it takes as few pipeline stages as hold the model" if planned.pp < stages else f"its {step} step"
    summary += f"; the planner would choose {planned.summary()}, because {why}: {reason}"
    mapping["planner"] = planned.mapping()
    return Suggestion(summary, mapping)


def _scope(facts: DeploymentFacts) -> Iterator[Finding]:
    tp_source = facts.plan.source("tp")
    for index, stage in enumerate(facts.plan.stages):
        outside = sorted(scope for scope in stage.tp_scope if scope.lower() in OUTSIDE_TP_SCOPE)
        if not outside:
            continue
        inside = [scope for scope in stage.tp_scope if scope.lower() not in OUTSIDE_TP_SCOPE] or ["attention", "ffn"]
        degree = f", TP {stage.attention_tp}" if stage.attention_tp else ""
        related = [(tp_source, f"TP {tp_source.value}")] if tp_source is not None else []
        yield finding(
            (stage.file, stage.range),
            f"stage {index} (layers [{stage.layers[0]}, {stage.layers[1]}){degree}) applies tensor parallelism "
            f"to {', '.join(outside)}: TP shards attention heads and the FFN hidden dimension only; embeddings, "
            f"norms and routers are not TP's scope (the engine lays them out itself); write "
            f"tp_applies_to: [{', '.join(inside)}]",
            related=related,
            suggestion=Suggestion(f"tp_applies_to: [{', '.join(inside)}]", {"tp_applies_to": inside}),
        )


def _dense_tp_override(facts: DeploymentFacts) -> Iterator[Finding]:
    """SGLang shards the dense FFN of a MoE model either not at all or over the whole TP group."""
    plan = facts.plan
    at, tp = plan.source("moe_dense_tp"), plan.get("tp", 1)
    rejection = next((found for found in facts.deployment.rejections if found.kind == DENSE_TP_REJECTION), None)
    if at is None or rejection is None:
        return
    layers = "dense FFN layers"
    model = facts.model
    if model is not None and model.moe is not None and model.moe.dense_layers:
        layers = f"{len(model.moe.dense_layers)} dense FFN layers of {model.id}"
    yield finding(
        at,
        f"dense FFN tensor parallel size {at.value} with tensor parallel size {tp}: SGLang fails with "
        f"\"{rejection.message}\"; the {layers} run either whole on every GPU ({at.spelling or 'moe-dense-tp-size'} "
        f"1, the usual choice beside attention DP) or sharded over the whole TP group ({tp}): write 1 or {tp}, "
        "or remove it",
        related=related_values(plan, "tp", "attn_dp"),
        suggestion=Suggestion("dense FFN replicated on every GPU (moe-dense-tp-size 1)", {"moe_dense_tp": 1}),
    )


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _divisibility(facts)
        yield from _dense_tp_override(facts)
        yield from _node_span(facts)
        yield from _scope(facts)
