"""The GPUs a file requests or declares must match the GPUs the structural mapping needs.

What: compares every GPU supply a file states (a plan's ``gpus``, ``nnodes`` x GPUs per node, a
Kubernetes, Helm or SkyPilot GPU request, ``CUDA_VISIBLE_DEVICES``, a DeepSpeed-MII ``device_map``)
with the count the structural mapping derives: replicas x the GPUs of every pipeline stage, in all,
per node, or per engine process. Across nodes it also reports the node arithmetic vLLM and SGLang refuse:
GPUs that do not split evenly over ``--nnodes``, a ``--node-rank`` outside ``0 .. nnodes - 1``, and
``--nnodes`` with an executor backend that does not start one process per node.
Too few GPUs is an error; more than the mapping uses is a warning (idle GPUs), except when the declared
count is the mechanical product of all parallel degrees: that is an error (seed 7), and the message
names the degrees that reuse GPUs (EP runs on the GPUs of the stage, not on GPUs of its own). A vLLM
front-end with ``--data-parallel-size-local 0`` runs only the API server (its engines run ``--headless`` on
other nodes, vLLM docs "Data Parallel Deployment"): it needs no GPU, and GPUs requested for it are idle.

Why: GPU count is a sum over structure, not a product of degrees (seed 1, 8): ``gpus = replicas x
sum(|G_s|)``. Degrees inside one stage share its GPUs: SGLang's ``ep-size`` and ``attn-dp-size``
fold into ``tp-size`` (``server_args.compute_world_size``: "Attention DP runs inside the TP group, so it
adds no GPUs"); vLLM's EP is TP x DP x PCP on the same GPUs (``FusedMoEParallelConfig.make``); TensorRT-LLM
needs ``moe_tp x moe_ep (x moe_cluster) = tp``. A process that sees fewer GPUs than its share fails at start-up,
vLLM ``ParallelConfig.__post_init__``: ``"World size (4) is larger than the number of available GPUs
(1) in this node. …"``; MII ``_allocate_devices``: ``"Only able to place 1 replicas, but 2 replicas were
requested."`` Extra GPUs are silently left idle. vLLM's ``EngineArgs.create_engine_config`` refuses
``"--node-rank must be between 0 and 1"`` for ``--nnodes 2 --node-rank 2`` (ranks count from 0), and
``ParallelConfig.__post_init__`` ``"nnodes > 1 can only be set when distributed executor backend is mp,
uni or external_launcher."`` (with Ray the Ray cluster spans the nodes, not ``--nnodes``).

Example (bad), a pod that can see one GPU for a TP 4 engine::

    args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4"]
    resources:
      limits:
        nvidia.com/gpu: 1

Example (good)::

    args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4"]
    resources:
      limits:
        nvidia.com/gpu: 4

Fix: request exactly the GPUs the mapping needs (the message gives the count and how it is built), or
change the degrees so the mapping fits the GPUs you have. Fix (unsafe, it changes GPU counts): a per-pod
count is set to what the mapping needs: a Kubernetes ``nvidia.com/gpu`` limit with its request,
production-stack ``requestGPU``, a compose device ``count``, a single SkyPilot ``accelerators: NAME:N``;
only when the mapping has no rejection and no key of the file is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import prod

from parlint.linter.context import DeploymentFacts, LintContext, finding, related_values
from parlint.linter.diagnostics import Finding, Fix, Severity, Suggestion
from parlint.linter.mapping import Deployment, Rejection
from parlint.linter.plan import DeclaredPlan, GpuSupply

CODE = "PL101"
NAME = "gpu-count"
SECTION = "1, 8, 7"
SEVERITY = "error"
FIXABLE = True

# DeepSpeed-MII ``_allocate_devices`` refusals of a device map (derive.py Rejection kinds).
DEVICE_MAP_REJECTIONS = frozenset({"mii-device-map-replicas", "mii-device-map-group-size"})
# vLLM ``EngineArgs.create_engine_config`` and SGLang ``check_server_args``: the GPUs must split evenly over
# ``--nnodes`` (SGLang counts one replica's TP x PP, vLLM the whole world).
NODE_SPLIT_REJECTIONS = frozenset({"vllm-world-not-divisible-by-nnodes", "sglang-tp-pp-not-divisible-by-nnodes"})
# vLLM ``EngineArgs.create_engine_config``: this node's rank among ``--nnodes``.
NODE_RANK = "vllm-node-rank-out-of-range"
# vLLM ``ParallelConfig.__post_init__``: ``--nnodes`` starts one process per node, which only these backends do.
NODES_BACKEND = "vllm-nnodes-executor-backend"
# The degrees a mechanical count multiplies, in the order people write them (Deployment.degree_product).
PRODUCT_DEGREES = (("dp", "DP"), ("tp", "TP"), ("pp", "PP"), ("ep", "EP"), ("cp", "CP"))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_structure(deployment: Deployment) -> str:
    """How the needed count is built, e.g. ``2 replicas x 2 stages x 8 GPUs``."""
    sizes = [stage.size for stage in deployment.stages]
    if len(set(sizes)) == 1:
        per_replica = f"{_plural(len(sizes), 'stage')} x {_plural(sizes[0], 'GPU')}"
    else:
        per_replica = f"stages of {' + '.join(str(size) for size in sizes)} GPUs"
    return f"{_plural(deployment.replicas, 'replica')} x {per_replica}"


def _nodes(plan: DeclaredPlan, deployment: Deployment, supply: GpuSupply) -> int:
    """The nodes the engine spans: its own ``nnodes`` when written, else as few of the supply's nodes as
    hold the mapping (further nodes are surplus, not a reason to spread the engine thinner)."""
    written = plan.get("nnodes")
    if isinstance(written, int) and written > 0:
        return written
    if supply.scope != "node":
        return 1
    return max(1, min(supply.units, -(-deployment.gpus_total // supply.count.value)))


def needed_per_node(plan: DeclaredPlan, deployment: Deployment, nodes: int) -> int:
    """GPUs one node (or one engine process) drives: vLLM's ``data_parallel_size_local`` DP ranks when
    written (GPUs per node = TP x PP x PCP x dp_local, vLLM ``EngineArgs.create_engine_config``), else an
    even share of the deployment over its nodes. ``data_parallel_size_local 0`` is an API-server-only node."""
    dp, dp_local = plan.get("dp"), plan.get("dp_local")
    if isinstance(dp, int) and isinstance(dp_local, int) and dp > 0 and 0 <= dp_local <= dp:
        return deployment.gpus_total * dp_local // dp
    return -(-deployment.gpus_total // nodes)


def _engine_world_size(plan: DeclaredPlan) -> int:
    """vLLM's ``world_size`` = PP x TP x PCP (``ParallelConfig.__post_init__``), the count its check quotes."""
    return prod(int(plan.get(name, 1) or 1) for name in ("pp", "tp", "cp"))


def _mechanical_factors(facts: DeploymentFacts) -> list[tuple[str, int]]:
    plan, deployment = facts.plan, facts.deployment
    factors: list[tuple[str, int]] = []
    for name, label in PRODUCT_DEGREES:
        value = plan.get(name)
        if name == "ep" and value is None and plan.get("enable_ep") and deployment.stages:
            moe = deployment.stages[0].moe
            value = moe.ep if moe else None
        if isinstance(value, int) and value > 1:
            factors.append((label, value))
    return factors


def _mechanical_note(facts: DeploymentFacts, declared: int) -> str:
    """Why a count equal to the product of all degrees is wrong, or "" when it is not that product."""
    deployment = facts.deployment
    factors = _mechanical_factors(facts)
    product = deployment.degree_product or prod(value for _, value in factors)
    if declared != product or product == deployment.gpus_total or len(factors) < 2:
        return ""
    spelled = " x ".join(f"{label} {value}" for label, value in factors)
    if prod(value for _, value in factors) != product:
        spelled = "all parallel degrees multiplied"
    labels = {label for label, _ in factors}
    reuse = []
    if "EP" in labels:
        group = "TP x DP" if facts.plan.engine == "vllm" and "DP" in labels else "TP"
        reuse.append(f"EP reuses the {group} GPUs")
    if "CP" in labels and deployment.stages and deployment.stages[0].cp == 1:
        reuse.append("CP reuses the TP GPUs")
    reason = "; ".join(reuse) or "degrees inside one stage share its GPUs"
    return f"{declared} = {spelled}, the mechanical product; {reason}: the structure needs {deployment.gpus_total}"


def _suggestion(deployment: Deployment, per_node: int) -> Suggestion:
    mapping = deployment.to_json()
    mapping["gpus_per_node"] = per_node
    return Suggestion(f"provide {deployment.gpus_total} GPUs ({per_node} per node)", mapping)


def _compare(plan: DeclaredPlan, deployment: Deployment, supply: GpuSupply) -> tuple[int, int, str]:
    """(declared, needed, where) for the first comparison that fails, or equal numbers when all hold.

    Over several nodes the total comes first (a short total is the cause, a short node its symptom); on
    one node, or per process, the share of that node is what fails at start-up; last an oversized share
    per node (vLLM local DP ranks)."""
    declared = supply.count.value
    if supply.scope == "total":
        return supply.total, deployment.gpus_total, "in all"
    nodes = _nodes(plan, deployment, supply)
    per_node = needed_per_node(plan, deployment, nodes)
    where = "per engine process" if supply.scope == "process" else "per node"
    node_units = supply.units if supply.units > 1 else nodes
    if supply.scope == "node" and node_units > 1 and declared * node_units != deployment.gpus_total:
        return declared * node_units, deployment.gpus_total, f"in all ({node_units} nodes x {declared})"
    return declared, per_node, where


def _single_node_world_check(plan: DeclaredPlan, supply: GpuSupply) -> bool:
    """vLLM raises its world-size error when it picks the executor itself on one node
    (``ParallelConfig.__post_init__``); with Ray or several nodes the GPUs come from elsewhere."""
    nnodes = plan.get("nnodes")
    return (plan.engine == "vllm" and supply.scope != "total" and supply.units == 1
            and plan.get("executor_backend") is None and not (isinstance(nnodes, int) and nnodes > 1))


def _request_fix(facts: DeploymentFacts, supply: GpuSupply, needed: int, where: str) -> Fix | None:
    """Align one pod's (node's) GPU count with the mapping; never a count repeated over nodes or pods, a
    total, a mapping the engine would reject anyway, or one beside keys the engine ignores."""
    from parlint.linter.fixes import gpu_request_fix  # only files with a fix pay its import

    text = facts.plan.source_text
    if supply.scope != "node" or supply.units != 1 or where != "per node" or not text:
        return None
    if facts.deployment.rejections or facts.plan.unknown_keys:  # the mapping meant may differ from the one read
        return None
    return gpu_request_fix(text, supply.count, needed)


def _check_supply(facts: DeploymentFacts, supply: GpuSupply) -> Iterator[Finding]:
    plan, deployment = facts.plan, facts.deployment
    if not isinstance(supply.count.value, int) or supply.count.value <= 0:
        return
    declared, needed, where = _compare(plan, deployment, supply)
    if declared == needed:
        return
    nodes = _nodes(plan, deployment, supply)
    per_node = needed_per_node(plan, deployment, nodes)
    structure = describe_structure(deployment)
    if nodes > 1 and not where.startswith("in all"):
        structure += f", {per_node} on each of {nodes} nodes"
    related = related_values(plan, "tp", "pp", "dp", "ep", "cp", "dp_local", "nnodes", skip_ones=True)
    suggestion = _suggestion(deployment, per_node)
    fix = _request_fix(facts, supply, needed, where)
    if declared < needed:
        message = (f"{supply.what} provides {_plural(declared, 'GPU')} {where} but the mapping needs "
                   f"{needed} ({structure})")
        world = _engine_world_size(plan)
        if _single_node_world_check(plan, supply) and supply.count.value < world:
            message += (f"; vLLM fails at start-up: \"World size ({world}) is larger than the number of "
                        f"available GPUs ({supply.count.value}) in this node\"")
        yield finding(supply.count, message, related=related, suggestion=suggestion, fix=fix)
        return
    mechanical = _mechanical_note(facts, declared)
    if mechanical:
        # Seed 7: a plan whose count multiplies every degree is rejected, not merely wasteful.
        message = f"{supply.what} declares {_plural(declared, 'GPU')} {where}: {mechanical} ({structure})"
        yield finding(supply.count, message, related=related, suggestion=suggestion, fix=fix)
        return
    if needed == 0 and plan.get("dp_local") == 0:
        message = (f"{supply.what} provides {_plural(declared, 'GPU')} {where} to a front-end that runs no engine "
                   f"(data-parallel-size-local 0: the API server only; the {deployment.gpus_total} engine GPUs "
                   f"are on the --headless nodes): all {declared} would sit idle")
        yield finding(supply.count, message, related=related, severity=Severity.WARNING, fix=fix)
        return
    message = (f"{supply.what} provides {_plural(declared, 'GPU')} {where} but the mapping uses "
               f"{needed} ({structure}): {declared - needed} would sit idle")
    yield finding(supply.count, message, related=related, suggestion=suggestion, severity=Severity.WARNING,
                  fix=fix)


def _device_map(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    """MII's ``device_map`` is a GPU declaration: one group of ``tensor_parallel`` GPUs per replica."""
    plan, deployment = facts.plan, facts.deployment
    at = plan.source("device_map") or (rejection.sources[0] if rejection.sources else None)
    if at is None:
        return
    tp = deployment.stages[0].size if deployment.stages else int(plan.get("tp", 1) or 1)
    yield finding(at,
                  f"the device map does not match the mapping: MII fails with \"{rejection.message}\"; "
                  f"{_plural(deployment.replicas, 'replica')} of tensor_parallel {tp} need "
                  f"{_plural(deployment.replicas, 'group')} of {_plural(tp, 'GPU')}, "
                  f"{deployment.replicas * tp} GPUs in all",
                  related=[(source, f"{source.spelling or 'value'} {source.value}")
                           for source in rejection.sources if source is not at])


def _node_split(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    """The engine spreads the mapping's GPUs evenly over ``--nnodes``: the node count must divide them."""
    plan, deployment = facts.plan, facts.deployment
    at, nnodes = plan.source("nnodes"), plan.get("nnodes")
    if at is None or not isinstance(nnodes, int) or deployment.gpus_total <= 0:
        return
    gpus = deployment.gpus_total if plan.engine == "vllm" else deployment.gpus_total // max(deployment.replicas, 1)
    counts = ", ".join(str(count) for count in range(1, gpus + 1) if gpus % count == 0 and count <= 2 * nnodes)
    yield finding(at,
                  f"the mapping's {_plural(gpus, 'GPU')} do not split evenly over {_plural(nnodes, 'node')}: "
                  f"\"{rejection.message.rstrip('.')}\"; node counts that divide {gpus}: {counts}",
                  related=[(source, f"{source.spelling or 'value'} {source.value}")
                           for source in rejection.sources if source is not at])


def _node_rank(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    """vLLM numbers the nodes of ``--nnodes`` from 0; the head node is rank 0."""
    plan = facts.plan
    at, nnodes = plan.source("node_rank"), plan.get("nnodes", 1)
    if at is None or not isinstance(nnodes, int):
        return
    ranks = "0" if nnodes == 1 else f"0 (the head node) to {nnodes - 1}"
    message = (f"node rank {at.value} is not one of the {_plural(nnodes, 'node')}: vLLM fails with "
               f"\"{rejection.message}\"; node ranks count from 0, so --nnodes {nnodes} takes ranks {ranks}")
    if nnodes == 1:
        message += "; a single-node deployment needs no --node-rank"
    suggestion = None
    if at.value == nnodes:  # ranks counted from 1: the last node is rank nnodes - 1
        message += f"; counted from 1 this is the last node, rank {nnodes - 1}"
        suggestion = Suggestion(f"--node-rank {nnodes - 1}", {"node_rank": nnodes - 1})
    yield finding(at, message, related=related_values(plan, "nnodes"), suggestion=suggestion)


def _nodes_backend(facts: DeploymentFacts, rejection: Rejection) -> Iterator[Finding]:
    """``--nnodes`` makes vLLM start its own worker process per node; Ray places workers itself."""
    plan = facts.plan
    at, nnodes = plan.source("executor_backend"), plan.get("nnodes")
    if at is None or not isinstance(nnodes, int):
        return
    gpus = facts.deployment.gpus_total
    message = (f"--nnodes {nnodes} with executor backend {at.value!r}: vLLM fails with \"{rejection.message}\"; "
               f"--nnodes starts one vLLM process per node (backend mp, the default), while {at.value} places the "
               f"{_plural(gpus, 'GPU')} of the mapping over its own cluster: either remove "
               f"{at.spelling or 'the executor backend'} and start the command on each of the {nnodes} nodes with "
               f"its --node-rank, or remove --nnodes and start the {at.value} cluster across the nodes")
    yield finding(at, message, related=related_values(plan, "nnodes", "node_rank"),
                  suggestion=Suggestion(f"executor backend mp on {_plural(nnodes, 'node')}",
                                        {"executor_backend": "mp", "nnodes": nnodes}))


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        for rejection in facts.deployment.rejections:
            if rejection.kind in DEVICE_MAP_REJECTIONS:
                yield from _device_map(facts, rejection)
            elif rejection.kind in NODE_SPLIT_REJECTIONS:
                yield from _node_split(facts, rejection)
            elif rejection.kind == NODE_RANK:
                yield from _node_rank(facts, rejection)
            elif rejection.kind == NODES_BACKEND:
                yield from _nodes_backend(facts, rejection)
        if facts.deployment.gpus_total <= 0 or not facts.deployment.stages:
            continue
        for supply in facts.plan.supply:
            yield from _check_supply(facts, supply)
