"""The planner: a structural mapping for a model, a GPU budget, an engine and an objective.

It follows the seed's mandatory order (``shared/seed/hard-constraints.md`` §6) and records every step
with its reason:

1. **structure**: layers, attention kind and heads, MoE layers and experts, weight bytes;
2. **structural**: EP for the MoE layers over all GPUs of a stage (§2.4, §3: whole experts per GPU, no
   TP inside experts); PP only when one stage cannot hold its layers, as few stages as fit, each stage on
   GPUs of one node (§2.3, §5);
3. **operator**: TP for attention and the dense FFN only, a size that divides the heads, KV heads, FFN
   width, padded vocabulary and quantization blocks (:mod:`parlint.linter.constraints`, the rules' own
   checks), inside the NVLink domain; ``latency`` takes the largest such TP, ``throughput`` the smallest
   that fits (on MoE stages the rest of the stage runs attention data-parallel); no SP/CP;
4. **data**: replicas fill what is left of the budget, never for ``latency`` (§2.1).

A stage fits when its most loaded GPU holds its weights, the KV cache of one ``max_model_len`` sequence
and the runtime overhead within :data:`MEMORY_FRACTION` of the GPU (:func:`parlint.linter.models.memory.
stage_memory`, the estimate rule PL701 uses).

How each engine can express the mapping (``shared/design/structural-model.md`` §2) limits the attention
layouts: vLLM runs attention TP ``tp`` and attention DP ``dp`` inside one MoE group of ``tp x dp``
(``FusedMoEParallelConfig.make``); SGLang folds attention DP into TP (``attn_tp = tp / attn-dp-size``);
TensorRT-LLM's attention DP always equals TP (``MappingBase``: attention TP 1); DeepSpeed inference has
no attention DP and no PP (``InferenceEngine._load_checkpoint``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parlint.linter.constraints import tp_problems, valid_ep_sizes
from parlint.linter.models.hardware import GpuSpec
from parlint.linter.models.memory import MemoryBreakdown, stage_memory, unquantized_bytes, usable_bytes
from parlint.linter.models.structure import ModelStructure

ENGINES = ("vllm", "sglang", "trtllm", "deepspeed", "parlint")
OBJECTIVES = ("latency", "throughput")
MEMORY_FRACTION = 0.9
"""Share of each GPU a plan may fill: vLLM's ``gpu_memory_utilization`` and SGLang's ``mem-fraction-static``
defaults (frameworks.md §1, §2); used for every engine so a plan keeps the same margin everywhere."""
DEFAULT_CONTEXT = 32768
"""Context length planned for when none is given: the model's own limit, capped here."""
GIB = 1024**3


@dataclass(frozen=True)
class PlanStep:
    """One entry of the decision log (``step`` as in a ParallelPlan: structure, structural, operator, data)."""

    step: str
    degrees: dict[str, int]
    reason: str


@dataclass(frozen=True)
class PlannedStage:
    index: int
    layers: tuple[int, int]
    gpus: tuple[int, ...]
    memory: MemoryBreakdown


@dataclass(frozen=True)
class PlannedDeployment:
    """A structural mapping: ``pp`` stages of ``stage_size`` GPUs each, ``replicas`` whole copies.

    Inside a stage, attention runs ``attn_tp`` x ``attn_dp`` (= ``stage_size``), the dense FFN ``ffn_tp``
    and, on MoE layers, EP ``ep`` (= ``stage_size``) with whole experts.
    """

    model: ModelStructure
    engine: str
    objective: str
    gpu: GpuSpec
    gpus_per_node: int
    budget: int
    max_model_len: int
    stage_size: int
    attn_tp: int
    attn_dp: int
    ffn_tp: int
    ep: int
    replicas: int
    stages: tuple[PlannedStage, ...]
    steps: tuple[PlanStep, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def pp(self) -> int:
        return len(self.stages)

    @property
    def gpus_per_replica(self) -> int:
        return self.stage_size * self.pp

    @property
    def gpus_used(self) -> int:
        return self.gpus_per_replica * self.replicas

    @property
    def nodes_per_replica(self) -> int:
        return -(-self.gpus_per_replica // self.gpus_per_node)

    @property
    def experts_per_gpu(self) -> int:
        return self.model.moe.experts // self.ep if self.model.moe and self.model.is_moe else 0

    def mapping(self) -> dict[str, Any]:
        """The mapping as data (a :class:`parlint.linter.diagnostics.Suggestion`'s ``mapping``)."""
        data: dict[str, Any] = {
            "gpus_total": self.gpus_used, "gpus_per_replica": self.gpus_per_replica, "replicas": self.replicas,
            "pp": self.pp, "tp": self.attn_tp, "attn_dp": self.attn_dp, "ffn_tp": self.ffn_tp,
            "stages": [{"layers": list(stage.layers), "gpus": len(stage.gpus)} for stage in self.stages],
        }
        if self.model.is_moe:
            data["ep"] = self.ep
            data["experts_per_gpu"] = self.experts_per_gpu
        return data

    def summary(self) -> str:
        """One readable line: the mapping in structural terms."""
        parts = [f"PP {self.pp}" if self.pp > 1 else "one stage",
                 f"{self.stage_size} GPU{'s' if self.stage_size > 1 else ''} per stage",
                 f"attention TP {self.attn_tp}" + (f" x DP {self.attn_dp}" if self.attn_dp > 1 else "")]
        if self.model.is_moe:
            parts.append(f"EP {self.ep} ({self.experts_per_gpu} whole experts per GPU)")
        parts.append(f"{self.replicas} replica{'s' if self.replicas > 1 else ''}")
        return ", ".join(parts) + f": {self.gpus_used} of {self.budget} {self.gpu.name} GPUs"


@dataclass(frozen=True)
class NoPlan:
    """No valid mapping fits the budget; ``reason`` says why in one sentence."""

    reason: str
    steps: tuple[PlanStep, ...] = ()


@dataclass(frozen=True)
class _Layout:
    stage_size: int
    attn_tp: int
    attn_dp: int
    ffn_tp: int


_Found = tuple[_Layout, list[tuple[int, int]], list[MemoryBreakdown]]
"""A layout that fits, with its stages' layer ranges and memory."""


def plan_deployment(
    model: ModelStructure,
    *,
    gpus: int,
    gpu: GpuSpec,
    gpus_per_node: int,
    engine: str,
    objective: str,
    max_model_len: int | None = None,
) -> PlannedDeployment | NoPlan:
    """A mapping of ``model`` on at most ``gpus`` GPUs of type ``gpu``, expressible by ``engine``."""
    if engine not in ENGINES:
        return NoPlan(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if objective not in OBJECTIVES:
        return NoPlan(f"unknown objective {objective!r}; choose latency or throughput")
    if gpus < 1 or gpus_per_node < 1:
        return NoPlan("the GPU budget and the GPUs per node must be at least 1")
    tokens = max_model_len or min(model.max_position_embeddings or DEFAULT_CONTEXT, DEFAULT_CONTEXT)
    steps = [PlanStep("structure", {}, _describe_structure(model))]
    planner = _Planner(model, gpu, gpus_per_node, engine, tokens)
    found = planner.search(gpus, objective)
    if found is None:
        return NoPlan(planner.why_not(gpus), tuple(steps))
    layout, ranges, memories = found
    pp = len(ranges)
    steps.append(PlanStep("structural", _structural_degrees(model, layout, pp),
                          planner.structural_reason(layout, ranges, memories, gpus)))
    steps.append(PlanStep("operator", {"tp": layout.attn_tp, "attn_dp": layout.attn_dp},
                          planner.operator_reason(layout, objective)))
    per_replica = layout.stage_size * pp
    replicas, data_reason = _replicas(per_replica, gpus, gpus_per_node, objective)
    steps.append(PlanStep("data", {"dp": replicas}, data_reason))
    stages = tuple(
        PlannedStage(index, layers, tuple(range(index * layout.stage_size, (index + 1) * layout.stage_size)),
                     memory)
        for index, (layers, memory) in enumerate(zip(ranges, memories, strict=True)))
    notes: tuple[str, ...] = ()
    if model.unmodelled:
        notes = (f"memory is approximate: the estimate leaves out {', '.join(model.unmodelled)}",)
    return PlannedDeployment(
        model=model, engine=engine, objective=objective, gpu=gpu, gpus_per_node=gpus_per_node, budget=gpus,
        max_model_len=tokens, stage_size=layout.stage_size, attn_tp=layout.attn_tp, attn_dp=layout.attn_dp,
        ffn_tp=layout.ffn_tp, ep=layout.stage_size if model.is_moe else 1, replicas=replicas, stages=stages,
        steps=tuple(steps), notes=notes,
    )


def layer_split(engine: str, num_layers: int, pp: int) -> list[tuple[int, int]]:
    """Each stage's ``[first, last)`` layers as ``engine`` splits them by default (derive's own split rules)."""
    from parlint.linter.derive import sglang_split, trtllm_split, vllm_split

    split = {"sglang": sglang_split, "trtllm": trtllm_split}.get(engine, vllm_split)(num_layers, pp)
    ranges, first = [], 0
    for size in split:
        ranges.append((first, first + size))
        first += size
    return ranges


def gib(size: float) -> str:
    return f"{size / GIB:.1f} GiB"


def _describe_structure(model: ModelStructure) -> str:
    attention = model.attention
    text = f"{model.num_layers} decoder layers; {attention.kind.upper()} attention with {attention.heads} heads"
    if attention.kind == "mla":
        text += " and one shared latent KV (not sharded by TP)"
    else:
        text += f" and {attention.kv_heads} KV heads"
    if model.is_moe and model.moe is not None:
        moe_layers = len(model.moe.moe_layers) or model.num_layers - len(model.moe.dense_layers)
        text += (f"; {moe_layers} MoE layers with {model.moe.experts} routed experts "
                 f"({model.moe.experts_per_token} per token)")
        dense = model.num_layers - moe_layers
        if dense:
            text += f" and {dense} dense layers"
    else:
        text += f"; dense FFN {model.intermediate_size} wide"
    weights = stage_memory(model, overhead_bytes=0).weights
    quantized = f", {model.quantization.method}" if model.quantization else ""
    return text + f"; {gib(weights)} of weights ({model.dtype}{quantized})"


def _structural_degrees(model: ModelStructure, layout: _Layout, pp: int) -> dict[str, int]:
    degrees = {"pp": pp}
    if model.is_moe:
        degrees["ep"] = layout.stage_size
    return degrees


def _replicas(per_replica: int, budget: int, gpus_per_node: int, objective: str) -> tuple[int, str]:
    spare = budget - per_replica
    if objective == "latency":
        if spare:
            return 1, (f"one replica: data parallelism adds throughput, never lowers one request's latency; "
                       f"{spare} of the {budget} GPUs stay free (objective throughput would fill them)")
        return 1, "one replica uses the whole budget"
    replicas = budget // per_replica
    if replicas * per_replica > gpus_per_node and (replicas * per_replica) % gpus_per_node:
        # Replicas beyond one node come in whole nodes, so no replica straddles two.
        replicas = max((replicas * per_replica) // gpus_per_node * gpus_per_node // per_replica, 1)
    left = budget - replicas * per_replica
    if replicas == 1:
        reason = f"one replica of {per_replica} GPU{'s' if per_replica > 1 else ''}: the budget holds no second copy"
    else:
        reason = (f"{replicas} replicas of {per_replica} GPU{'s' if per_replica > 1 else ''} serve requests "
                  "concurrently (request-level data parallelism, decided last)")
    if left:
        reason += f"; {left} GPU{'s' if left > 1 else ''} of the budget cannot hold another replica"
    return replicas, reason


class _Planner:
    def __init__(self, model: ModelStructure, gpu: GpuSpec, gpus_per_node: int, engine: str, tokens: int) -> None:
        self.model = model
        self.gpu = gpu
        self.node = gpus_per_node
        self.domain = max(min(gpu.nvlink_domain, gpus_per_node), 1)
        self.engine = engine
        self.tokens = tokens
        self.usable = usable_bytes(gpu.memory_bytes, MEMORY_FRACTION)
        self.kv_bytes = unquantized_bytes(model.dtype)

    # -- candidates ---------------------------------------------------------------------------------

    def _stage_sizes(self, limit: int) -> list[int]:
        """GPUs per stage: divisors of the node size, so stages and replicas never straddle nodes."""
        sizes = [size for size in range(1, min(self.node, limit) + 1) if self.node % size == 0]
        if self.model.is_moe and self.model.moe is not None:
            even = set(valid_ep_sizes(self.model.moe.experts, self.node))
            sizes = [size for size in sizes if size in even]
        return sizes

    def _ffn_tp(self, stage_size: int, attn_tp: int) -> int:
        """Dense-FFN TP as the engine builds it: vLLM shards it over ``tp`` (the attention TP); SGLang,
        TensorRT-LLM and DeepSpeed over the whole TP group (derive)."""
        return attn_tp if self.engine in ("vllm", "parlint") else stage_size

    def _attention_tps(self, stage_size: int) -> list[int]:
        if not self.model.is_moe:
            return [stage_size]
        if self.engine == "deepspeed":
            return [stage_size]
        if self.engine == "trtllm":
            return sorted({1, stage_size})
        return [size for size in range(1, stage_size + 1) if stage_size % size == 0]

    def layouts(self, stage_size: int) -> list[_Layout]:
        """Valid layouts of one stage, by ascending attention TP."""
        found = []
        for attn_tp in self._attention_tps(stage_size):
            if attn_tp > self.domain:
                continue
            ffn_tp = self._ffn_tp(stage_size, attn_tp)
            if tp_problems(self.model, self.engine, ffn_tp, attn_tp):
                continue
            found.append(_Layout(stage_size, attn_tp, stage_size // attn_tp, ffn_tp))
        return found

    def memory(self, layout: _Layout, ranges: list[tuple[int, int]]) -> list[MemoryBreakdown]:
        ep = layout.stage_size if self.model.is_moe else 1
        # The dense FFN counted at attention TP: an upper bound where the engine shards it wider (SGLang,
        # TensorRT-LLM with attention DP), and the estimate PL701 makes.
        return [stage_memory(self.model, layers=layers, attn_tp=layout.attn_tp, ffn_tp=layout.attn_tp, ep=ep,
                             expert_tp=1, first=index == 0, last=index == len(ranges) - 1,
                             kv_bytes=self.kv_bytes, tokens=self.tokens)
                for index, layers in enumerate(ranges)]

    def _fits(self, memories: list[MemoryBreakdown]) -> bool:
        return all(memory.total <= self.usable for memory in memories)

    def _aligned(self, per_replica: int) -> bool:
        return self.node % per_replica == 0 or per_replica % self.node == 0

    def _expressible(self, layout: _Layout, pp: int) -> bool:
        """vLLM places DP ranks by node groups: with attention DP ``dp`` and ``nnodes`` nodes, ``nnodes`` must be
        divisible by ``dp / data_parallel_size_local`` (``EngineArgs.create_engine_config``; derive's
        ``vllm-nnodes-not-divisible-by-dp-groups``)."""
        if self.engine != "vllm" or layout.attn_dp == 1:
            return True
        world = pp * layout.stage_size
        nodes = -(-world // self.node)
        if nodes == 1:
            return True
        dp_local = max(world // nodes // (pp * layout.attn_tp), 1)
        groups = layout.attn_dp // dp_local
        return world % nodes == 0 and (groups == 0 or nodes % groups == 0)

    # -- search -------------------------------------------------------------------------------------

    def search(self, budget: int, objective: str) -> _Found | None:
        max_pp = 1 if self.engine == "deepspeed" else min(self.model.num_layers, budget)
        for pp in range(1, max_pp + 1):
            sizes = self._stage_sizes(budget // pp)
            if not sizes:
                break
            ranges = layer_split(self.engine, self.model.num_layers, pp)
            fitting = []
            for size in sizes:
                if pp > 1 and not self._aligned(size * pp):
                    continue
                for layout in self.layouts(size):
                    if not self._expressible(layout, pp):
                        continue
                    memories = self.memory(layout, ranges)
                    if self._fits(memories):
                        fitting.append((layout, ranges, memories))
            if fitting:
                return self._choose(fitting, objective)
        return None

    def _choose(self, fitting: list[_Found], objective: str) -> _Found:
        if self.model.is_moe:
            # EP spans the GPUs of the stage (seed §3): the largest stage; attention TP by objective.
            largest = max(item[0].stage_size for item in fitting)
            stage = [item for item in fitting if item[0].stage_size == largest]
            pick = max if objective == "latency" else min
            return pick(stage, key=lambda item: item[0].attn_tp)
        pick = max if objective == "latency" else min
        return pick(fitting, key=lambda item: item[0].stage_size)

    # -- reasons ------------------------------------------------------------------------------------

    def structural_reason(self, layout: _Layout, ranges: list[tuple[int, int]], memories: list[MemoryBreakdown],
                          budget: int) -> str:
        model, pp = self.model, len(ranges)
        worst = max(memories, key=lambda memory: memory.total)
        fit = (f"{gib(worst.weights)} of weights + {gib(worst.kv_cache)} KV cache for one {self.tokens}-token "
               f"sequence + {gib(worst.overhead)} overhead = {gib(worst.total)} on the fullest GPU, within "
               f"{gib(self.usable)} usable ({self.gpu.name} x {MEMORY_FRACTION})")
        if pp == 1:
            gpus = f"{layout.stage_size} GPU{'s' if layout.stage_size > 1 else ''}"
            text = f"no pipeline parallelism: one stage of {gpus} holds all {model.num_layers} layers"
        else:
            split = "/".join(str(last - first) for first, last in ranges)
            text = (f"PP {pp}: one stage cannot hold the {model.num_layers} layers within a node of {self.node} GPUs, "
                    f"{pp} stages can (layers split {split}); each stage owns {layout.stage_size} GPUs of one node")
        if model.is_moe and model.moe is not None:
            text += (f"; EP {layout.stage_size} over the GPUs of each stage: {model.moe.experts // layout.stage_size} "
                     f"whole experts per GPU, no TP inside experts")
        return f"{text} ({fit})"

    def operator_reason(self, layout: _Layout, objective: str) -> str:
        model = self.model
        if model.is_moe:
            valid = [item.attn_tp for item in self.layouts(layout.stage_size)]
        else:
            valid = [size for size in self._stage_sizes(self.domain) if self.layouts(size)]
        choice = "the largest" if objective == "latency" else "the smallest that fits"
        text = (f"attention TP {layout.attn_tp}, {choice} of the valid sizes {', '.join(map(str, valid))} "
                f"(they divide {model.attention.heads} heads")
        if model.attention.kind != "mla":
            text += f" and suit {model.attention.kv_heads} KV heads"
        text += f"; TP stays inside the NVLink domain of {self.domain})"
        if layout.attn_dp > 1:
            text += (f"; attention runs data-parallel over {layout.attn_dp} groups of the stage "
                     "(request-level concurrency inside the EP group, no extra GPUs)")
        if layout.ffn_tp > 1 and (not model.is_moe or (model.moe is not None and model.moe.dense_layers)):
            text += f"; dense FFN TP {layout.ffn_tp}"
        return text + "; no sequence or context parallelism: the context fits without it"

    def why_not(self, budget: int) -> str:
        model = self.model
        weights = stage_memory(model, overhead_bytes=0).weights
        needed = -(-weights // max(self.usable, 1))
        if needed > budget:
            return (f"the weights of {model.id} alone ({gib(weights)}) need {needed} {self.gpu.name} GPUs "
                    f"({gib(self.usable)} usable each), the budget is {budget}")
        if self.engine == "deepspeed":
            return (f"{model.id} does not fit one node of {self.node} {self.gpu.name} GPUs and DeepSpeed inference "
                    "does not support pipeline parallelism (InferenceEngine._load_checkpoint)")
        if not any(self.layouts(size) for size in self._stage_sizes(budget)):
            return (f"no tensor parallel size up to {min(budget, self.domain)} divides the structure of {model.id} "
                    f"for {self.engine} (heads {model.attention.heads}, KV heads {model.attention.kv_heads})")
        return (f"{model.id} needs more than {budget} {self.gpu.name} GPUs: the weights ({gib(weights)}) plus the KV "
                f"cache of one {self.tokens}-token sequence and the runtime overhead do not fit any valid mapping "
                f"(try a shorter max-model-len)")
