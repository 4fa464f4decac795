"""Data parallelism makes whole copies of the model for request-level concurrency: it splits no parameters
and does not make one request faster.

What: rejects a replica whose pipeline stages do not hold the whole model (replicas used to "split"
the model); DP presented as a latency measure (objective ``latency`` with replicas > 1 while a larger
TP on the same GPUs is valid); and engine DP semantics that cannot work: SGLang ``--dp-size`` replicas
across nodes, ``--dp-size`` together with ``--attn-dp-size``, the deprecated ``--enable-dp-attention``
without a DP degree (a no-op, warning), an attention DP size that does not divide TP; vLLM replica
groups (``data_parallel_size / data_parallel_size_local``) that do not tile ``--nnodes``, a local
DP size above the DP size, and a ``--data-parallel-rank`` that is not one of the DP ranks.

Why: DP operates outside the model, parallelizes requests, does not split parameters and does not
reduce single-request latency (seed 2.1); treating DP as a latency optimization is an invalid plan
(seed 7). SGLang 0.5.23 refuses replicas across nodes (``validation_hook.check_server_args``:
``"multi-node data-parallel replicas are not supported; use attention DP (--attn-dp-size) across
nodes"``) and replicas combined with attention DP (``parallel_hook.handle_data_parallelism``:
``"--dp-size 2 with --attn-dp-size 4: data-parallel replicas combined with attention data parallelism
are not supported."``); ``--enable-dp-attention`` only rewrites ``--dp-size N`` into ``--attn-dp-size
N`` (``parallel_hook.handle_deprecated_dp_attention``), so with DP 1 it does nothing. vLLM 0.33
(``ParallelConfig.__post_init__``, ``_validate_parallel_config``) refuses ``"Invalid data parallel
configuration: nnodes (2) must be divisible by the number of data parallel node groups (4)"`` and
``"data_parallel_size_local (…) must be <= data_parallel_size (…)"``; ``ParallelConfig.__post_init__``
refuses ``"data_parallel_rank (4) must be in the range [0, 4)"`` (the ranks of an external load balancer
count from 0).

Example (bad), SGLang replicas across two nodes::

    model-path: Qwen/Qwen3-32B
    tp-size: 8
    dp-size: 2
    nnodes: 2

Example (good), one replica per node, each its own server behind a router::

    model-path: Qwen/Qwen3-32B
    tp-size: 8

Fix: give every replica all layers (PP stages inside the replica split the model, DP never does); for
latency raise TP inside the node instead of adding replicas; across nodes run one SGLang server per
node behind a router, or use ``--attn-dp-size`` for MoE models; replace ``--enable-dp-attention`` by
``--attn-dp-size N``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parlint.linter.constraints import valid_tp_sizes
from parlint.linter.context import DeploymentFacts, LintContext, finding, related_values
from parlint.linter.diagnostics import Finding, Severity, Suggestion
from parlint.linter.mapping import Rejection
from parlint.linter.plan import Sourced

CODE = "PL201"
NAME = "data-parallel-scope"
SECTION = "2.1, 7"
SEVERITY = "error"
FIXABLE = False

DEFAULT_NODE_SIZE = 8
# Rejection kinds (derive.py) that are about DP semantics, with the remedy to add to the engine's words.
DP_REJECTIONS = {
    "sglang-multinode-dp": "for a dense model run {dp} SGLang servers of TP {tp} (one replica each) behind "
                           "sglang_router instead",
    "sglang-dp-with-attn-dp": "keep --attn-dp-size (attention DP inside the TP group) and set --dp-size 1; run "
                              "more replicas as separate servers",
    "sglang-tp-not-divisible-by-attn-dp": "attention DP splits the TP group into equal attention groups: use an "
                                          "attn-dp-size that divides TP {tp}: {tp_divisors}",
    "vllm-dp-local-exceeds-dp": "data-parallel-size-local counts the replicas on this node, so it is at most "
                                "data-parallel-size",
    "vllm-dp-rank-out-of-range": "with an external load balancer each server is one DP rank, numbered from 0: "
                                 "--data-parallel-size {dp} takes ranks {dp_ranks}",
    "vllm-offline-dp": "the offline LLM class runs one engine process: start one process per DP rank with "
                       "distributed_executor_backend=\"external_launcher\", or serve with `vllm serve "
                       "--data-parallel-size {dp}`",
}
# Where the value to change is not the first one the engine names.
DP_REJECTION_AT = {"sglang-tp-not-divisible-by-attn-dp": ("attn_dp", "dp")}
# Engine messages that state no numbers get them in front.
DP_REJECTION_VALUES = {"sglang-multinode-dp": "--dp-size {dp} across --nnodes {nnodes}: "}
NODE_GROUPS = "vllm-nnodes-not-divisible-by-dp-groups"


def _related(facts: DeploymentFacts, *names: str) -> list[tuple[Sourced[Any], str]]:
    return related_values(facts.plan, *names)


def _replica_source(facts: DeploymentFacts) -> Sourced[Any] | None:
    return facts.plan.source("replicas") or facts.plan.source("dp")


def _replica_coverage(facts: DeploymentFacts) -> Iterator[Finding]:
    """A replica's stages must start at layer 0 and end at the last layer (gaps between stages are PL203's)."""
    stages, model = facts.plan.stages, facts.model
    if not stages or model is None:
        return
    first, last = stages[0].layers[0], max(stage.layers[1] for stage in stages)
    layers = model.num_layers
    if first <= 0 and last >= layers:
        return
    missing = []
    if first > 0:
        missing.append(f"[0, {first})")
    if last < layers:
        missing.append(f"[{last}, {layers})")
    at_stage = stages[0] if first > 0 else stages[-1]
    replicas = facts.deployment.replicas
    message = (f"the replica's stages hold layers [{first}, {last}) of the {layers} layers of {model.id}; layers "
               f"{' and '.join(missing)} are on no stage: every replica must hold the whole model, because DP "
               f"makes whole copies and does not split parameters")
    if replicas > 1:
        message += (f"; {replicas} replicas do not add up to one model: split the layers into pipeline stages "
                    f"of one replica instead")
    source = _replica_source(facts)
    related = [(source, f"{replicas} replicas")] if source is not None and replicas > 1 else []
    yield finding((at_stage.file, at_stage.range), message, related=related)


def _latency(facts: DeploymentFacts) -> Iterator[Finding]:
    deployment, model, plan = facts.deployment, facts.model, facts.plan
    source = _replica_source(facts)
    if facts.objective != "latency" or deployment.replicas <= 1 or model is None or source is None:
        return
    if not deployment.stages or len({stage.attn_tp for stage in deployment.stages}) != 1:
        return
    tp = deployment.stages[0].attn_tp
    node = deployment.gpus_per_node or DEFAULT_NODE_SIZE
    budget = tp * deployment.replicas
    larger = [size for size in valid_tp_sizes(model, plan.engine, min(node, budget))
              if size > tp and budget % size == 0]
    if not larger:
        return
    best = larger[-1]
    replicas_left = budget // best
    related = _related(facts, "tp")
    if plan.objective is not None:
        related.append((plan.objective, "objective: latency"))
    alternative = f"TP {best}" + (f" x DP {replicas_left}" if replicas_left > 1 else "")
    yield finding(source,
                  f"DP {deployment.replicas} does not reduce a request's latency (each request runs on one "
                  f"replica of TP {tp}); with objective latency use the same {budget} GPUs as {alternative}: "
                  f"TP shards every layer's heads and FFN, so each token is computed by {best} GPUs",
                  related=related,
                  suggestion=Suggestion(alternative, {"tp": best, "dp": replicas_left}))


def _dp_attention_noop(facts: DeploymentFacts) -> Iterator[Finding]:
    plan = facts.plan
    flag = plan.source("enable_attention_dp")
    if plan.engine != "sglang" or flag is None or flag.value is not True:
        return
    dp, attn_dp = int(plan.get("dp", 1) or 1), int(plan.get("attn_dp", 1) or 1)
    if dp > 1 or attn_dp > 1:
        return
    tp = int(plan.get("tp", 1) or 1)
    yield finding(flag,
                  f"{flag.spelling or '--enable-dp-attention'} without a DP degree does nothing: SGLang 0.5.23 only "
                  f"rewrites `--dp-size N --enable-dp-attention` into `--attn-dp-size N`, and DP is 1 here; "
                  f"write `attn-dp-size` (a divisor of TP {tp}) to get attention DP",
                  related=_related(facts, "tp"), severity=Severity.WARNING)


def _rejection(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    plan = facts.plan
    values: dict[str, Any] = {name: plan.get(name, 1) for name in ("dp", "tp", "nnodes")}
    tp = values["tp"] if isinstance(values["tp"], int) and values["tp"] > 0 else 1
    values["tp_divisors"] = ", ".join(str(size) for size in range(1, tp + 1) if tp % size == 0)
    dp = values["dp"] if isinstance(values["dp"], int) and values["dp"] > 0 else 1
    values["dp_ranks"] = "0" if dp == 1 else f"0 to {dp - 1}"
    remedy = DP_REJECTIONS[rejection.kind].format(**values)
    prefix = DP_REJECTION_VALUES.get(rejection.kind, "").format(**values)
    preferred = [source for name in DP_REJECTION_AT.get(rejection.kind, ()) if (source := plan.source(name))]
    at = preferred[0] if preferred else rejection.sources[0] if rejection.sources else None
    if at is None:
        return
    related = [(source, f"{source.spelling or 'value'} {source.value}") for source in rejection.sources
               if source is not at]
    yield finding(at, f"{prefix}{rejection.message.rstrip('.')}; {remedy}", related=related)


def _node_groups(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    """vLLM places ``data_parallel_size / data_parallel_size_local`` groups of replicas on whole nodes."""
    plan = facts.plan
    dp, nnodes = plan.get("dp"), plan.get("nnodes")
    at = plan.source("dp_local") or plan.source("dp")
    if at is None or not isinstance(dp, int) or not isinstance(nnodes, int):
        return
    if dp % nnodes == 0:
        remedy = (f"with {nnodes} nodes write data-parallel-size-local {dp // nnodes} ({dp} replicas / {nnodes} "
                  f"nodes), so each node runs one group")
        suggestion = Suggestion(f"data-parallel-size-local {dp // nnodes}", {"dp_local": dp // nnodes})
    else:
        valid = ", ".join(str(nnodes * k) for k in range(1, 5))
        remedy = (f"the {dp} replicas cannot be spread over {nnodes} nodes: use a DP size that is a multiple of "
                  f"{nnodes} ({valid}, ...) or run {nnodes} separate deployments")
        suggestion = None
    related = [(source, f"{source.spelling or name} {source.value}")
               for name in ("nnodes", "dp") if (source := plan.source(name)) is not None and source is not at]
    yield finding(at, f"{rejection.message}: the replicas form groups of data-parallel-size-local, one group per "
                      f"node or set of nodes; {remedy}", related=related, suggestion=suggestion)


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _replica_coverage(facts)
        yield from _latency(facts)
        yield from _dp_attention_noop(facts)
        for rejection in facts.deployment.rejections:
            if rejection.kind in DP_REJECTIONS:
                yield from _rejection(facts, rejection)
            elif rejection.kind == NODE_GROUPS:
                yield from _node_groups(facts, rejection)
