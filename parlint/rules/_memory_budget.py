"""The memory budget PL701 (memory-fit) and PL601 (reasoning-order) share: what fits on one GPU under
the engine's memory fraction, so both rules (and the planner's margin) agree on what fits."""

from __future__ import annotations

from dataclasses import dataclass

from parlint.linter.models.hardware import GpuSpec
from parlint.linter.models.memory import MemoryBreakdown, stage_memory, unquantized_bytes, usable_bytes
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan

# Engine -> (documented default memory fraction, how the engine spells it). TensorRT-LLM's fraction
# sizes only the KV cache from what the weights leave free; its default is not in the reference.
FRACTIONS: dict[str, tuple[float | None, str]] = {
    "vllm": (0.9, "gpu-memory-utilization"),
    "sglang": (0.9, "mem-fraction-static"),
    "trtllm": (None, "free_gpu_memory_fraction"),
}
GIB = 1024**3


@dataclass(frozen=True)
class MemoryBudget:
    gpu: GpuSpec
    fraction: float | None
    spelling: str
    kv_only: bool  # TensorRT-LLM: the fraction applies to the memory left after weights

    def shortfall(self, memory: MemoryBreakdown) -> int:
        """Bytes missing on this GPU (<= 0: it fits)."""
        if not self.kv_only:
            assert self.fraction is not None
            return memory.total - usable_bytes(self.gpu.memory_bytes, self.fraction)
        left = self.gpu.memory_bytes - memory.weights - memory.overhead
        if left < 0 or self.fraction is None:
            return -left
        return memory.kv_cache - int(left * self.fraction)

    def describe(self) -> str:
        if self.kv_only:
            share = f" x {self.spelling} {self.fraction} for the KV cache" if self.fraction is not None else ""
            return f"the {gib(self.gpu.memory_bytes)} of a {self.gpu.name}, after weights{share}"
        usable = usable_bytes(self.gpu.memory_bytes, self.fraction or 0.0)
        return f"the usable {gib(usable)} ({gib(self.gpu.memory_bytes)} {self.gpu.name} x {self.spelling} " \
               f"{self.fraction})"


def gib(size: float) -> str:
    return f"{size / GIB:.1f} GiB"


def memory_budget(plan: DeclaredPlan, gpu: GpuSpec) -> MemoryBudget | None:
    known = FRACTIONS.get(plan.engine)
    if known is None:
        return None
    default, spelling = known
    written = plan.source("mem_fraction")
    fraction = default
    if written is not None:
        if not isinstance(written.value, (int, float)) or isinstance(written.value, bool):
            return None
        fraction, spelling = float(written.value), written.spelling or spelling
    if fraction is None and plan.engine != "trtllm":
        return None
    return MemoryBudget(gpu, fraction, spelling, kv_only=plan.engine == "trtllm")


def sequence_tokens(plan: DeclaredPlan, model: ModelStructure) -> int | None:
    written = plan.get("max_model_len")
    if written is not None:
        return written if isinstance(written, int) and not isinstance(written, bool) else None
    return model.max_position_embeddings


def kv_cache_bytes(plan: DeclaredPlan, model: ModelStructure) -> float:
    dtype = plan.get("kv_cache_dtype")
    if isinstance(dtype, str) and dtype.lower().startswith("fp8"):
        return 1.0
    return unquantized_bytes(model.dtype)


def stage_bytes(model: ModelStructure, layers: tuple[int, int], tp: int, moe_ep: int, expert_tp: int,
                first: bool, last: bool, kv: float, tokens: int) -> MemoryBreakdown:
    return stage_memory(model, layers=layers, attn_tp=tp, ffn_tp=tp, ep=moe_ep, expert_tp=expert_tp,
                        first=first, last=last, kv_bytes=kv, tokens=tokens)
