"""Derive the structural mapping (:class:`Deployment`) from a declared plan, as each engine builds it.

Each engine's arithmetic is modelled as it really is (``shared/reference/frameworks.md``), and where
the engine would refuse the plan a :class:`Rejection` records why, quoting its error, instead of a
guess. With no model, degrees and GPU sets are still derived (stages get layers ``(0, 0)``) so GPU
counting works without the model.

Rejection kinds (``Rejection.kind``):

vLLM 0.33 (``ParallelConfig._validate_parallel_config``/``__post_init__``, ``EngineArgs.create_engine_config``,
``get_pp_indices``, ``FusedMoEFactory``):
    ``vllm-dp-local-exceeds-dp``, ``vllm-eplb-without-ep``, ``vllm-eplb-without-parallelism``,
    ``vllm-redundant-without-eplb``, ``vllm-eplb-uneven-experts``, ``vllm-dcp-not-dividing-tp``,
    ``vllm-dcp-with-pcp``, ``vllm-world-not-divisible-by-nnodes``, ``vllm-node-rank-out-of-range``,
    ``vllm-nnodes-not-divisible-by-dp-groups``, ``vllm-nnodes-executor-backend``, ``vllm-ep-on-dense-model``,
    ``vllm-dp-rank-out-of-range``
SGLang 0.5.23 (``parallel_hook``, ``validation_hook.check_server_args``, ``FusedMoE.__init__``,
``check_quantized_moe_compatibility``, ``parallel_state``):
    ``sglang-dp-with-attn-dp``, ``sglang-tp-not-divisible-by-attn-dp``, ``sglang-multinode-dp``,
    ``sglang-tp-pp-not-divisible-by-nnodes``, ``sglang-moe-dense-tp``, ``sglang-tp-not-divisible-by-ep``,
    ``sglang-experts-not-divisible-by-ep``, ``sglang-dcp-not-dividing-tp``, ``sglang-tp-not-divisible-by-attn-cp``
TensorRT-LLM (``MappingBase.__init__``, ``MappingBase.pp_layers``):
    ``trtllm-moe-tp-ep-product``, ``trtllm-cp-moe``, ``trtllm-moe-cluster-with-ep``
DeepSpeed / MII (``InferenceEngine._load_checkpoint``, ``MoE.__init__``, ``mii/config.py _allocate_devices``):
    ``deepspeed-no-pp``, ``deepspeed-experts-not-divisible-by-ep``, ``mii-device-map-replicas``,
    ``mii-device-map-group-size``
Any engine with a declared split (``VLLM_PP_LAYER_PARTITION``, ``SGLANG_PP_LAYER_PARTITION``, ``pp_partition``):
    ``pp-partition-length``, ``pp-partition-sum``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parlint.linter.mapping import Deployment, MoePhase, Rejection, Stage
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced


def derive(plan: DeclaredPlan, model: ModelStructure | None, *, gpus_per_node: int | None = None) -> Deployment:
    """The deployment ``plan`` describes, as its engine would build it on ``model``."""
    builder = _BUILDERS.get(plan.engine, _vllm)
    deployment = builder(_Context(plan, model))
    if gpus_per_node is None and plan.gpus_per_node is not None:
        gpus_per_node = plan.gpus_per_node.value
    deployment.gpus_per_node = gpus_per_node
    return deployment


class _Context:
    """The plan and model, plus the rejections found so far."""

    def __init__(self, plan: DeclaredPlan, model: ModelStructure | None) -> None:
        self.plan = plan
        self.model = model
        self.rejections: list[Rejection] = []

    def degree(self, name: str, default: int = 1) -> int:
        value = self.plan.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else default

    def count(self, name: str, default: int = 0) -> int:
        value = self.plan.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default

    def flag(self, name: str) -> bool:
        return self.plan.get(name) is True

    def sources(self, *names: str) -> tuple[Sourced[Any], ...]:
        return tuple(source for name in names if (source := self.plan.source(name)) is not None)

    def reject(self, kind: str, message: str, *names: str) -> None:
        self.rejections.append(Rejection(kind, message, self.sources(*names)))

    @property
    def num_layers(self) -> int | None:
        return self.model.num_layers if self.model is not None else None

    @property
    def experts(self) -> int | None:
        return self.model.moe.experts if self.model is not None and self.model.moe is not None else None

    def is_moe(self, fallback: bool) -> bool:
        return self.model.is_moe if self.model is not None else fallback


# --------------------------------------------------------------------------------------------------
# Pipeline splits


def vllm_split(num_layers: int, pp: int) -> list[int]:
    """vLLM ``get_pp_indices``: the remainder goes one layer each to partitions[-2], [-3], ... (never the last)."""
    parts = [num_layers // pp] * pp
    for offset in range(2, num_layers % pp + 2):
        parts[-offset] += 1
    return parts


def sglang_split(num_layers: int, pp: int) -> list[int]:
    """SGLang ``get_pp_indices``: "the last N partitions will have one extra layer, where N = remainder"."""
    base, remainder = divmod(num_layers, pp)
    return [base + (1 if index >= pp - remainder else 0) for index in range(pp)]


def trtllm_split(num_layers: int, pp: int) -> list[int]:
    """TensorRT-LLM ``MappingBase.pp_layers`` (``torch.tensor_split``): the first n ranks get one extra layer."""
    base, remainder = divmod(num_layers, pp)
    return [base + (1 if index < remainder else 0) for index in range(pp)]


def _layer_ranges(ctx: _Context, pp: int, default_split: Callable[[int, int], list[int]],
                  partition_name: str, *, partition_ignored_when_pp1: bool = False) -> list[tuple[int, int]]:
    """Contiguous ``[first, last)`` ranges per stage: the declared partition if the engine accepts it."""
    num_layers = ctx.num_layers
    partition = ctx.plan.get("pp_partition")
    parts: list[int] | None = None
    if isinstance(partition, list) and not (partition_ignored_when_pp1 and pp == 1):
        if len(partition) != pp:
            ctx.reject("pp-partition-length", f"{partition_name}: len(partitions)={len(partition)} does not "
                       f"match pp_size={pp}.", "pp_partition", "pp")
        elif num_layers is not None and sum(partition) != num_layers:
            ctx.reject("pp-partition-sum", f"{partition_name}: sum(partitions)={sum(partition)} does not match "
                       f"num_hidden_layers={num_layers}.", "pp_partition")
        else:
            parts = [int(part) for part in partition]
    if num_layers is None:
        return [(0, 0)] * pp
    if parts is None:
        parts = default_split(num_layers, pp)
    ranges, first = [], 0
    for size in parts:
        ranges.append((first, first + size))
        first += size
    return ranges


def _has_moe_layers(model: ModelStructure | None, layers: tuple[int, int], fallback: bool) -> bool:
    if model is None:
        return fallback
    if model.moe is None or not model.is_moe:
        return False
    first, last = layers
    if model.moe.moe_layers:
        return any(first <= layer < last for layer in model.moe.moe_layers)
    dense = set(model.moe.dense_layers)
    return any(layer not in dense for layer in range(first, last))


def experts_per_gpu(experts: int, ep: int) -> tuple[int, int]:
    """(fewest, most) whole experts per EP rank; vLLM's ``determine_expert_map`` gives the first E % ep one more."""
    if ep <= 0:
        return (0, 0)
    base, remainder = divmod(experts, ep)
    return (base, base + 1 if remainder else base)


def _stage_gpus(first_gpu: int, size: int, stride: int = 0, groups: int = 1) -> tuple[int, ...]:
    """GPU ids of a stage: ``groups`` blocks of ``size`` consecutive ids, ``stride`` apart."""
    return tuple(first_gpu + group * stride + index for group in range(groups) for index in range(size))


# --------------------------------------------------------------------------------------------------
# vLLM 0.33


def _vllm(ctx: _Context) -> Deployment:
    """vLLM: ``ParallelConfig.__post_init__``, ``FusedMoEParallelConfig.make``, ``get_pp_indices`` (§1.3-§1.7).

    Dense: DP ranks are independent replicas of ``tp x pcp`` GPUs per stage. MoE: DP ranks join one
    expert group of ``tp x dp x pcp``; with ``enable_expert_parallel`` that is the EP size (expert TP 1),
    otherwise every expert is TP-sharded over it.
    """
    plan = ctx.plan
    tp, pp, dp, pcp, dcp = (ctx.degree(name) for name in ("tp", "pp", "dp", "cp", "dcp"))
    enable_ep, eplb = ctx.flag("enable_ep"), ctx.flag("eplb")
    redundant = ctx.count("redundant_experts")
    _vllm_checks(ctx, tp, pp, dp, pcp, dcp, enable_ep, eplb, redundant)
    moe = ctx.is_moe(fallback=enable_ep)
    group = tp * dp * pcp
    use_ep = enable_ep and group > 1
    ep, expert_tp = (group, 1) if use_ep else (1, group)
    if use_ep and eplb and ctx.experts is not None and (ctx.experts + redundant) % ep:
        ctx.reject("vllm-eplb-uneven-experts", "EPLB currently only supports even distribution of experts across "
                   f"ranks. Got {ctx.experts + redundant} experts and {ep} EP ranks.",
                   "enable_ep", "eplb", "redundant_experts", "tp", "dp")
    per_gpu = (0, 0)
    if ctx.experts is not None:
        per_gpu = experts_per_gpu(ctx.experts + redundant, ep) if use_ep else (ctx.experts, ctx.experts)
    stage_size = tp * pcp
    ranges = _layer_ranges(ctx, pp, vllm_split, "VLLM_PP_LAYER_PARTITION")
    stages = []
    for index, layers in enumerate(ranges):
        if moe:
            # Rank layout "DP x PP x TP": DP rank d, stage s, TP rank t is global rank d*pp*tp + s*tp + t.
            gpus = _stage_gpus(index * stage_size, stage_size, stride=pp * stage_size, groups=dp)
        else:
            gpus = _stage_gpus(index * stage_size, stage_size)
        phase = None
        if moe and _has_moe_layers(ctx.model, layers, fallback=enable_ep):
            phase = MoePhase(ep, expert_tp, per_gpu, redundant)
        stages.append(Stage(index, layers, gpus, attn_tp=tp, attn_dp=dp if moe else 1, cp=pcp, dcp=dcp,
                            ffn_tp=tp, moe=phase))
    return Deployment(plan, ctx.model, replicas=1 if moe else dp, stages=stages, rejections=ctx.rejections,
                      degree_product=dp * tp * pp * ep * pcp)


def _vllm_checks(ctx: _Context, tp: int, pp: int, dp: int, pcp: int, dcp: int, enable_ep: bool, eplb: bool,
                 redundant: int) -> None:
    dp_local = ctx.plan.get("dp_local")
    if isinstance(dp_local, int) and dp_local > dp:
        ctx.reject("vllm-dp-local-exceeds-dp",
                   f"data_parallel_size_local ({dp_local}) must be <= data_parallel_size ({dp})", "dp_local", "dp")
    dp_rank = ctx.plan.get("dp_rank")
    if isinstance(dp_rank, int) and not 0 <= dp_rank < dp:
        ctx.reject("vllm-dp-rank-out-of-range", f"data_parallel_rank ({dp_rank}) must be in the range [0, {dp})",
                   "dp_rank", "dp")
    if eplb and not enable_ep:
        ctx.reject("vllm-eplb-without-ep", "enable_expert_parallel must be True to use EPLB.", "eplb")
    if eplb and tp * pcp * dp <= 1:
        ctx.reject("vllm-eplb-without-parallelism", "EPLB requires tensor, prefill-context, or data parallelism, "
                   f"but got TP={tp}, PCP={pcp}, DP={dp}.", "eplb", "tp", "dp", "cp")
    if not eplb and redundant:
        ctx.reject("vllm-redundant-without-eplb",
                   f"num_redundant_experts is set to {redundant} but EPLB is not enabled.", "redundant_experts")
    if pcp == 1 and tp % dcp:
        ctx.reject("vllm-dcp-not-dividing-tp", f"tp_size={tp} must be divisible by dcp_size={dcp}.", "tp", "dcp")
    if pcp > 1 and dcp not in (1, pcp, tp * pcp):
        ctx.reject("vllm-dcp-with-pcp", "When PCP is enabled, DCP must be disabled, span the PCP axis, or span "
                   f"the full TP x PCP axis. (dcp={dcp}, pcp={pcp}, tp={tp})", "dcp", "cp", "tp")
    if enable_ep and ctx.model is not None and not ctx.model.is_moe:
        ctx.reject("vllm-ep-on-dense-model", "Number of experts in the model must be greater than 0 when expert "
                   "parallelism is enabled.", "enable_ep")
    nnodes, node_rank = ctx.degree("nnodes"), ctx.count("node_rank")
    if not 0 <= node_rank < nnodes:
        ctx.reject("vllm-node-rank-out-of-range", f"--node-rank must be between 0 and {nnodes - 1}",
                   "node_rank", "nnodes")
    if nnodes <= 1:
        return
    backend = ctx.plan.get("executor_backend")
    if isinstance(backend, str) and backend not in ("mp", "uni", "external_launcher"):
        ctx.reject("vllm-nnodes-executor-backend", "nnodes > 1 can only be set when distributed executor backend "
                   "is mp, uni or external_launcher.", "nnodes", "executor_backend")
    world_within_dp = pp * tp * pcp
    world = dp * world_within_dp
    if world % nnodes:
        ctx.reject("vllm-world-not-divisible-by-nnodes", f"--nnodes {nnodes} must evenly divide the total world "
                   f"size ({world}). Adjust --nnodes, --data-parallel-size, --pipeline-parallel-size, "
                   "--tensor-parallel-size, or --prefill-context-parallel-size.", "nnodes", "dp", "pp", "tp", "cp")
        return
    dp_local = dp_local if isinstance(dp_local, int) else max(world // nnodes // world_within_dp, 1)
    node_groups = dp // dp_local if dp_local else 0
    if node_groups and nnodes % node_groups:
        ctx.reject("vllm-nnodes-not-divisible-by-dp-groups", f"Invalid data parallel configuration: nnodes "
                   f"({nnodes}) must be divisible by the number of data parallel node groups ({node_groups})",
                   "nnodes", "dp", "dp_local")


_BUILDERS: dict[str, Callable[[_Context], Deployment]] = {
    "vllm": _vllm,
}
