"""Derive the structural mapping (:class:`Deployment`) from a declared plan, as each engine builds it.

Each engine's arithmetic is modelled as it really is (``shared/reference/frameworks.md``), and where
the engine would refuse the plan a :class:`Rejection` records why, quoting its error (for an assert
without a message, its condition), instead of a guess. With no model, degrees and GPU sets are still
derived (stages get layers ``(0, 0)``) so GPU counting works without the model.

Rejection kinds (``Rejection.kind``):

vLLM 0.33 (``ParallelConfig._validate_parallel_config``/``__post_init__``, ``EngineArgs.create_engine_config``,
``get_pp_indices``, ``FusedMoEFactory``):
    ``vllm-dp-local-exceeds-dp``, ``vllm-eplb-without-ep``, ``vllm-eplb-without-parallelism``,
    ``vllm-redundant-without-eplb``, ``vllm-eplb-uneven-experts``, ``vllm-dcp-not-dividing-tp``,
    ``vllm-dcp-with-pcp``, ``vllm-world-not-divisible-by-nnodes``, ``vllm-node-rank-out-of-range``,
    ``vllm-nnodes-not-divisible-by-dp-groups``, ``vllm-nnodes-executor-backend``, ``vllm-ep-on-dense-model``,
    ``vllm-dp-rank-out-of-range``, ``vllm-offline-dp`` (``LLM.__init__``)
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

import math
from collections.abc import Callable
from typing import Any

from parlint.linter.adapters.flags import MAX_DEGREE, SGLANG_EP_SPANNING_BACKENDS
from parlint.linter.mapping import Deployment, MoePhase, Rejection, Stage
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced

MAX_WORLD_SIZE = MAX_DEGREE
"""Plans asking for more GPUs (or more ranks of any degree) than this are not laid out GPU by GPU: no
inference deployment comes near 65,536 GPUs, and a hostile ``tensor-parallel-size: 1000000000`` must not
build a billion GPU ids, nor ``ep-size: 10**20`` make the rules list its divisors."""

WORLD_SIZE_LIMIT = "world-size-limit"
_WORLD_DEGREES = ("dp", "pp", "tp", "cp", "replicas")
_INNER_DEGREES = ("ep", "attn_dp", "moe_dp", "moe_tp", "moe_dense_tp", "moe_cluster", "dcp", "dp_local", "nnodes",
                  "redundant_experts")


def derive(plan: DeclaredPlan, model: ModelStructure | None, *, gpus_per_node: int | None = None) -> Deployment:
    """The deployment ``plan`` describes, as its engine would build it on ``model``."""
    ctx = _Context(plan, model)
    world = max(math.prod(ctx.degree(name) for name in _WORLD_DEGREES),
                *(ctx.degree(name) for name in _INNER_DEGREES))
    if world > MAX_WORLD_SIZE:
        ctx.reject(WORLD_SIZE_LIMIT, f"the parallel degrees ask for {world} GPUs or ranks, more than the "
                   f"{MAX_WORLD_SIZE} parlint lays out: refused as hostile input", *_WORLD_DEGREES, *_INNER_DEGREES)
        return Deployment(plan, model, replicas=1, rejections=ctx.rejections, degree_product=world)
    builder = _BUILDERS.get(plan.engine, _vllm)
    deployment = builder(ctx)
    if gpus_per_node is None and plan.gpus_per_node is not None:
        gpus_per_node = plan.gpus_per_node.value
    nnodes = plan.get("nnodes")
    if gpus_per_node is None and isinstance(nnodes, int) and nnodes > 1 and deployment.gpus_total % nnodes == 0:
        # vLLM and SGLang spread the world evenly over --nnodes (vLLM: local_world_size = world_size // nnodes).
        gpus_per_node = deployment.gpus_total // nnodes
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


_GET_PP_INDICES = ("len(partitions)={n} does not match pp_size={pp}.",
                   "sum(partitions)={total} does not match num_hidden_layers={layers}.")
_PP_LAYERS = ("len(self.pp_partition)={n} does not match self.pp_size={pp}.",
              "sum(self.pp_partition)={total} does not match num_layers={layers}.")


def _layer_ranges(ctx: _Context, pp: int, default_split: Callable[[int, int], list[int]],
                  messages: tuple[str, str] = _GET_PP_INDICES, *,
                  partition_ignored_when_pp1: bool = False) -> list[tuple[int, int]]:
    """Contiguous ``[first, last)`` ranges per stage: the declared partition if the engine accepts it."""
    num_layers = ctx.num_layers
    partition = ctx.plan.get("pp_partition")
    parts: list[int] | None = None
    if isinstance(partition, list) and not (partition_ignored_when_pp1 and pp == 1):
        length, total = messages
        if len(partition) != pp:
            ctx.reject("pp-partition-length", length.format(n=len(partition), pp=pp), "pp_partition", "pp")
        elif num_layers is not None and sum(partition) != num_layers:
            ctx.reject("pp-partition-sum", total.format(total=sum(partition), layers=num_layers), "pp_partition")
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
    ranges = _layer_ranges(ctx, pp, vllm_split)
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
    if ctx.plan.get("offline_llm") and dp > 1 and ctx.plan.get("executor_backend") != "external_launcher":
        # vllm/entrypoints/llm.py, LLM.__init__ (GPU platforms)
        ctx.reject("vllm-offline-dp", f"LLM(data_parallel_size={dp}) is not supported for single-process usage and "
                   "may hang. Please use the explicit multi-process data-parallel example at "
                   "'examples/features/data_parallel/data_parallel_offline.py'.", "dp")
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


# --------------------------------------------------------------------------------------------------
# SGLang 0.5.23


def _sglang(ctx: _Context) -> Deployment:
    """SGLang: ``compute_world_size`` (GPUs = DP x TP x PP), ``runtime_context.derive_parallel_widths``.

    ``dp-size`` makes whole replicas; attention DP, attention CP, EP, MoE DP and DCP all fold into TP:
    ``attn_tp = tp // attn_dp // attn_cp``, ``moe_tp = tp // ep // moe_dp``. The deprecated
    ``--dp-size N --enable-dp-attention`` is rewritten to ``attn_dp N, dp 1``
    (``parallel_hook.handle_deprecated_dp_attention``). The a2a backends in ``_A2A_EP_SPANNING_BACKENDS``
    force ``ep = tp`` (``overrides._a2a_ep_size``).
    """
    tp, pp, dp, attn_dp, ep, moe_dp, attn_cp, dcp, nnodes = (
        ctx.degree(name) for name in ("tp", "pp", "dp", "attn_dp", "ep", "moe_dp", "cp", "dcp", "nnodes"))
    if ctx.flag("enable_attention_dp") and dp > 1:
        attn_dp, dp = dp, 1
    if ctx.plan.get("a2a_backend") in SGLANG_EP_SPANNING_BACKENDS:
        ep = tp
    redundant = ctx.count("redundant_experts")
    if attn_dp > 1 and dp > 1:
        ctx.reject("sglang-dp-with-attn-dp", f"--dp-size {dp} with --attn-dp-size {attn_dp}: data-parallel "
                   "replicas combined with attention data parallelism are not supported.", "dp", "attn_dp")
    if tp % attn_dp:
        ctx.reject("sglang-tp-not-divisible-by-attn-dp", f"assert cfg.tp_size % cfg.attn_dp_size == 0 "
                   f"(tp_size={tp}, attn_dp_size={attn_dp})", "tp", "attn_dp", "dp", "enable_attention_dp")
    if attn_cp > 1 and (tp % attn_cp or tp % (attn_dp * attn_cp)):
        message = ("tp_size must be divisible by attn_cp_size" if tp % attn_cp
                   else "tp_size must be divisible by attn_dp_size * attn_cp_size")
        ctx.reject("sglang-tp-not-divisible-by-attn-cp", message, "tp", "cp", "attn_dp")
    if dp > 1 and nnodes != 1:
        ctx.reject("sglang-multinode-dp", "multi-node data-parallel replicas are not supported; use attention DP "
                   "(--attn-dp-size) across nodes", "dp", "nnodes")
    if (tp * pp) % nnodes:
        ctx.reject("sglang-tp-pp-not-divisible-by-nnodes", "tp_size must be divisible by number of nodes",
                   "tp", "pp", "nnodes")
    dense_tp = ctx.plan.get("moe_dense_tp")
    if isinstance(dense_tp, int) and dense_tp not in (1, tp):
        ctx.reject("sglang-moe-dense-tp", "moe_dense_tp_size only supports None, 1, or tp_size currently",
                   "moe_dense_tp", "tp")
    if tp % dcp:
        ctx.reject("sglang-dcp-not-dividing-tp", f"tensor_model_parallel_size ({tp}) must be divisible by "
                   f"decode_context_parallel_size ({dcp})", "tp", "dcp")
    moe = ctx.is_moe(fallback=ep > 1)
    expert_tp = max(tp // ep // moe_dp, 1)
    model = ctx.model
    block_quantized = model is not None and model.quantization is not None and model.quantization.weight_block_size
    if moe and block_quantized and tp % ep:
        ctx.reject("sglang-tp-not-divisible-by-ep", f"tp_size {tp} must be divisible by ep_size {ep}",
                   "tp", "ep", "a2a_backend")
    per_gpu = (0, 0)
    if moe and ctx.experts is not None:
        routed = ctx.experts + redundant
        if routed % ep:
            ctx.reject("sglang-experts-not-divisible-by-ep", "assert self._num_global_routed % storage_ep_size == "
                       f"0 ({routed} routed experts incl. redundant, ep_size {ep})", "ep", "redundant_experts",
                       "a2a_backend", "tp")
        per_gpu = experts_per_gpu(routed, ep)
    ranges = _layer_ranges(ctx, pp, sglang_split, partition_ignored_when_pp1=True)
    stages = []
    for index, layers in enumerate(ranges):
        phase = MoePhase(ep, expert_tp, per_gpu, redundant) if moe and _has_moe_layers(
            model, layers, fallback=ep > 1) else None
        stages.append(Stage(index, layers, _stage_gpus(index * tp, tp), attn_tp=max(tp // attn_dp // attn_cp, 1),
                            attn_dp=attn_dp, cp=attn_cp, dcp=dcp,
                            ffn_tp=dense_tp if isinstance(dense_tp, int) else tp, moe=phase))
    return Deployment(ctx.plan, model, replicas=dp, stages=stages, rejections=ctx.rejections,
                      degree_product=dp * attn_dp * tp * pp * ep * attn_cp)


# --------------------------------------------------------------------------------------------------
# TensorRT-LLM


def _trtllm(ctx: _Context) -> Deployment:
    """TensorRT-LLM: ``_ParallelConfig`` (GPUs = TP x PP x CP), ``MappingBase.__init__`` (``tensorrt_llm/mapping.py``).

    ``moe_world_size`` is ``tp`` (ULYSSES CP) or ``tp x cp``; unset MoE sizes are derived by floor division,
    then ``moe_tp x moe_ep x moe_cluster`` must equal it. Attention DP sets attention DP = tp with
    attention TP 1. Replicas are separate servers, so one deployment is one replica.
    """
    tp, pp, cp = ctx.degree("tp"), ctx.degree("pp"), ctx.degree("cp")
    cp_type = str(ctx.plan.get("cp_type") or "ULYSSES").upper()
    cluster = ctx.degree("moe_cluster")
    moe_world = tp if cp_type == "ULYSSES" else tp * cp
    moe_ep, moe_tp = ctx.plan.get("ep"), ctx.plan.get("moe_tp")
    ep_given, tp_given = isinstance(moe_ep, int), isinstance(moe_tp, int)
    if not ep_given and not tp_given:
        moe_tp, moe_ep = moe_world // cluster, 1
    elif not tp_given:
        moe_tp = moe_world // (moe_ep * cluster)
    elif not ep_given:
        moe_ep = moe_world // (moe_tp * cluster)
    ep, expert_tp = int(moe_ep), int(moe_tp)
    if expert_tp * ep * cluster != moe_world:
        ctx.reject("trtllm-moe-tp-ep-product", "moe_tp_size * moe_ep_size * moe_cluster_size must equal to "
                   f"moe_world_size, but got {expert_tp} * {ep} * {cluster} != {moe_world}",
                   "ep", "moe_tp", "moe_cluster", "tp")
    if ep != 1 and cp > 1 and cp_type != "HELIX":
        ctx.reject("trtllm-cp-moe", f"CP {cp_type} doesn't support MoE tp/ep yet", "cp", "ep", "cp_type")
    if cluster > 1 and ep != 1:
        ctx.reject("trtllm-moe-cluster-with-ep", "moe_cluster_size > 1 requires moe_ep_size == 1",
                   "moe_cluster", "ep")
    attention_dp = ctx.flag("enable_attention_dp")
    moe = ctx.is_moe(fallback=ep > 1)
    per_gpu = experts_per_gpu(ctx.experts, max(ep, 1)) if ctx.experts is not None else (0, 0)
    size = tp * cp
    stages = []
    for index, layers in enumerate(_layer_ranges(ctx, pp, trtllm_split, _PP_LAYERS)):
        phase = MoePhase(ep, expert_tp, per_gpu) if moe and _has_moe_layers(ctx.model, layers, ep > 1) else None
        stages.append(Stage(index, layers, _stage_gpus(index * size, size), attn_tp=1 if attention_dp else tp,
                            attn_dp=tp if attention_dp else 1, cp=cp, ffn_tp=tp, moe=phase))
    return Deployment(ctx.plan, ctx.model, replicas=1, stages=stages, rejections=ctx.rejections,
                      degree_product=(tp if attention_dp else 1) * tp * pp * ep * cp)


# --------------------------------------------------------------------------------------------------
# DeepSpeed inference and DeepSpeed-MII


def _deepspeed(ctx: _Context) -> Deployment:
    """DeepSpeed inference v1 (``deepspeed/inference/engine.py``): the TP group is ranks ``0..tp-1``; MoE uses
    ``moe.ep_size`` and does not TP-shard experts; pipeline parallelism is refused
    (``InferenceEngine._load_checkpoint``)."""
    tp, ep, pp = ctx.degree("tp"), ctx.degree("ep"), ctx.degree("pp")
    if pp > 1:
        ctx.reject("deepspeed-no-pp", "pipeline parallelism is currently not supported in inference.", "pp")
    declared = ctx.plan.get("moe_experts")
    experts = ctx.experts
    if experts is None and isinstance(declared, list) and declared and isinstance(declared[0], int):
        experts = declared[0]
    moe = experts is not None and experts > 1 if ctx.model is None else ctx.model.is_moe
    phase = None
    if moe and experts is not None:
        if experts % ep:
            ctx.reject("deepspeed-experts-not-divisible-by-ep", f"Number of experts ({experts}) should be "
                       f"divisible by expert parallel size ({ep})", "ep", "moe_experts")
        phase = MoePhase(ep, 1, experts_per_gpu(experts, ep))
    layers = (0, ctx.num_layers) if ctx.num_layers is not None else (0, 0)
    stage = Stage(0, layers, _stage_gpus(0, tp), attn_tp=tp, ffn_tp=tp, moe=phase)
    return Deployment(ctx.plan, ctx.model, replicas=1, stages=[stage], rejections=ctx.rejections,
                      degree_product=tp * ep * pp)


def _mii(ctx: _Context) -> Deployment:
    """DeepSpeed-MII (``mii/config.py``): GPUs = ``tensor_parallel x replica_num``; ``_allocate_devices``
    checks a ``device_map`` against both."""
    tp, replicas = ctx.degree("tp"), ctx.degree("replicas")
    gpus = _stage_gpus(0, tp)
    device_map = ctx.plan.get("device_map")
    if isinstance(device_map, dict):
        groups = [(str(host), group) for host, value in device_map.items() if isinstance(value, list)
                  for group in value]
        if len(groups) > replicas:
            ctx.reject("mii-device-map-replicas", f"Device map contains {len(groups)} mappings, but only "
                       f"{replicas} replicas were requested. There must be a 1:1 mapping.", "device_map", "replicas")
        elif len(groups) < replicas:
            ctx.reject("mii-device-map-replicas", f"Only able to place {len(groups)} replicas, but {replicas} "
                       "replicas were requested.", "device_map", "replicas")
        for host, group in groups:
            size = len(group) if isinstance(group, list) else 1
            if size != tp:
                ctx.reject("mii-device-map-group-size", f"Number of devices must match tensor_parallel. Found "
                           f"{size} devices for host {host}, but tensor_parallel={tp}", "device_map", "tp")
                break
        first = groups[0][1] if groups else None
        if isinstance(first, list) and all(isinstance(gpu, int) for gpu in first) and len(first) == tp:
            gpus = tuple(first)
    layers = (0, ctx.num_layers) if ctx.num_layers is not None else (0, 0)
    stage = Stage(0, layers, gpus, attn_tp=tp, ffn_tp=tp)
    return Deployment(ctx.plan, ctx.model, replicas=replicas, stages=[stage], rejections=ctx.rejections,
                      degree_product=replicas * tp)


# --------------------------------------------------------------------------------------------------
# parlint ParallelPlan


def _parlint_plan(ctx: _Context) -> Deployment:
    """A ParallelPlan states its stages: they are kept as declared (not re-derived), so the rules can check
    contiguity, overlap and GPU disjointness. Attention DP fills the stage's GPUs beside TP x SP. Experts
    get no TP unless the stage says so (``tp_applies_to: [..., experts]``: the stage's TP): an ``ep``
    smaller than the stage is an expert group that does not span it (seed §2.4, §3: EP ≈ GPU_total, no
    TP inside experts by default), never an implied expert TP."""
    stages = []
    for index, declared in enumerate(ctx.plan.stages):
        gpus = declared.gpus or ()
        tp, sp = declared.attention_tp or 1, declared.attention_sp or 1
        attn_dp = len(gpus) // (tp * sp) if gpus and len(gpus) % (tp * sp) == 0 else 1
        phase = None
        if declared.expert_parallel is not None:
            ep = declared.expert_parallel
            expert_tp = tp if "experts" in declared.tp_scope else 1
            if declared.experts_per_gpu is not None:
                per_gpu = (declared.experts_per_gpu, declared.experts_per_gpu)
            else:
                per_gpu = experts_per_gpu(ctx.experts, ep) if ctx.experts is not None else (0, 0)
            phase = MoePhase(ep, expert_tp, per_gpu)
        stages.append(Stage(index, declared.layers, tuple(gpus), attn_tp=tp, attn_dp=max(attn_dp, 1), cp=sp,
                            ffn_tp=tp, moe=phase))
    product = 1
    for name in ("dp", "tp", "pp", "ep", "cp", "attn_dp"):
        product *= ctx.degree(name)
    return Deployment(ctx.plan, ctx.model, replicas=ctx.degree("replicas"), stages=stages,
                      rejections=ctx.rejections, degree_product=product)


_BUILDERS: dict[str, Callable[[_Context], Deployment]] = {
    "vllm": _vllm,
    "sglang": _sglang,
    "trtllm": _trtllm,
    "deepspeed": _deepspeed,
    "mii": _mii,
    "parlint": _parlint_plan,
}
