"""The declared plan: what a file says, in engine-neutral names, every value with its source range.

Adapters fill a :class:`DeclaredPlan` from a file's dialect (vLLM YAML, SGLang flags, DeepSpeed JSON,
...). They record facts only (values, where they were written, keys they did not recognise); the
structural mapping and the rules draw the conclusions.

Canonical setting names (``DeclaredPlan.settings`` keys), with the engine keys that feed them:

======================  ==========================================================================
``tp``                  tensor parallel size (vLLM ``tensor_parallel_size``, SGLang ``tp-size``, ...)
``pp``                  pipeline parallel size
``dp``                  data parallel size (vLLM DP ranks; SGLang ``dp-size`` replicas)
``dp_local``            vLLM ``data_parallel_size_local``
``attn_dp``             attention-DP groups inside TP (SGLang ``attn-dp-size``)
``enable_attention_dp`` bool: TensorRT-LLM ``enable_attention_dp``, deprecated SGLang ``enable-dp-attention``
``enable_ep``           bool: vLLM ``enable_expert_parallel``
``ep``                  explicit expert-parallel size (SGLang ``ep-size``, TRT-LLM ``moe_expert_parallel_size``,
                        DeepSpeed ``moe.ep_size``)
``moe_tp``              TensorRT-LLM ``moe_tensor_parallel_size``
``moe_dp``              SGLang ``moe-dp-size``
``moe_dense_tp``        SGLang ``moe-dense-tp-size``
``cp``                  context parallel that adds ranks (vLLM ``prefill_context_parallel_size``,
                        TRT-LLM ``context_parallel_size``, SGLang ``attn-cp-size`` inside TP)
``dcp``                 decode context parallel (reuses TP ranks)
``redundant_experts``   EPLB redundant experts
``eplb``                bool: EPLB enabled
``pp_partition``        list of layers per stage (env ``VLLM_PP_LAYER_PARTITION``, TRT-LLM ``pp_partition``)
``nnodes``, ``node_rank``
``replicas``            DeepSpeed-MII ``replica_num``
``a2a_backend``         SGLang ``moe-a2a-backend`` / vLLM ``all2all-backend``
``mem_fraction``        ``gpu-memory-utilization`` / ``mem-fraction-static`` / ``free_gpu_memory_fraction``
``max_model_len``       ``max-model-len`` / ``context-length`` / ``max_seq_len``
``dtype``, ``quantization``, ``kv_cache_dtype``
``executor_backend``    vLLM ``distributed_executor_backend``
======================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from parlint.linter.diagnostics import Range

T = TypeVar("T")


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value and where it was written. ``spelling`` is the key or flag as the file has it."""

    value: T
    file: str
    range: Range
    spelling: str = ""


@dataclass(frozen=True)
class GpuSupply:
    """GPUs a file makes available or declares, e.g. a pod's ``nvidia.com/gpu`` limit.

    ``scope`` is ``"total"`` (the whole deployment), ``"node"`` (one node or pod, repeated ``units``
    times) or ``"process"`` (visible to one engine process, e.g. ``CUDA_VISIBLE_DEVICES``).
    """

    count: Sourced[int]
    scope: str
    what: str
    units: int = 1

    @property
    def total(self) -> int:
        return self.count.value * self.units


@dataclass(frozen=True)
class KeyNote:
    """A key the adapter did not accept as written: unknown, deprecated, or with an unusable value."""

    spelling: str
    file: str
    range: Range
    reason: str
    replacement: str | None = None


@dataclass(frozen=True)
class Decision:
    """One entry of a plan's decision log (``kind: ParallelPlan``)."""

    step: str  # "structure", "structural", "operator", "data"
    degrees: dict[str, int]
    reason: str
    file: str
    range: Range


@dataclass(frozen=True)
class DeclaredStage:
    """A pipeline stage as a ParallelPlan writes it."""

    layers: tuple[int, int]
    gpus: tuple[int, ...] | None
    attention_tp: int | None
    expert_parallel: int | None
    file: str
    range: Range
    tp_scope: tuple[str, ...] = ()
    attention_sp: int | None = None
    experts_per_gpu: int | None = None


@dataclass
class DeclaredPlan:
    engine: str  # "vllm", "sglang", "trtllm", "deepspeed", "mii", "parlint"
    file: str
    range: Range
    model: Sourced[str] | None = None
    settings: dict[str, Sourced[Any]] = field(default_factory=dict)
    supply: list[GpuSupply] = field(default_factory=list)
    gpu: Sourced[str] | None = None
    gpus_per_node: Sourced[int] | None = None
    objective: Sourced[str] | None = None
    unknown_keys: list[KeyNote] = field(default_factory=list)
    deprecated_keys: list[KeyNote] = field(default_factory=list)
    invalid_values: list[KeyNote] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    stages: list[DeclaredStage] = field(default_factory=list)
    dialect: str = ""  # e.g. "vllm-config-yaml", "sglang-cli"; used by fixes to write in the file's own dialect
    source_text: str = ""  # the linted text of ``file`` (set by the runner): fixes keep its quotes and list style

    def get(self, name: str, default: Any = None) -> Any:
        sourced = self.settings.get(name)
        return default if sourced is None else sourced.value

    def source(self, name: str) -> Sourced[Any] | None:
        return self.settings.get(name)
