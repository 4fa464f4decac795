"""Every GPU must hold its weights, the KV cache of one full-length sequence and the runtime overhead.

What: on a known GPU type, estimates the most loaded GPU of every pipeline stage: weights as the
engine shards them (attention and dense FFN over TP, experts over EP and expert TP, vocabulary over TP),
the KV cache of one ``max-model-len`` sequence (the setting, else the model's
``max_position_embeddings``) and parlint's runtime-overhead estimate, and compares the sum with the
memory the engine lets itself use. The message gives each term and the smallest structural change that
fits: more TP inside the node, else pipeline stages.

Why: PP exists for memory (seed §5, §6 step 2): a stage must hold its layers. vLLM reserves
``gpu_memory_utilization`` (default 0.9) of each GPU for weights, activations and KV cache
(``gpu_worker.determine_available_memory``) and refuses to start when one ``max_model_len`` sequence
does not fit: "The model's max seq len (X) is larger than the maximum number of tokens that can be
stored in KV cache (Y). Try increasing `gpu_memory_utilization` or decreasing `max_model_len`"; SGLang's
``mem-fraction-static`` (about 0.9) covers weights plus the KV pool; TensorRT-LLM's
``free_gpu_memory_fraction`` applies to the memory left after the weights and sizes only the KV cache
(``shared/reference/linter-conventions.md`` B.2, B.3, B.12).

Example (bad), Llama-3.1-70B in BF16 is about 141 GB of weights::

    # on H100-80GB
    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 1

Example (good)::

    model: meta-llama/Llama-3.1-70B-Instruct
    tensor-parallel-size: 4

Fix: apply the structural change the message names (TP within the node, PP across nodes), or lower
``max-model-len`` when only the KV cache is short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from parlint.linter.constraints import tp_problems
from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Suggestion
from parlint.linter.mapping import Stage
from parlint.linter.models.hardware import GpuSpec
from parlint.linter.models.memory import MemoryBreakdown, stage_memory, unquantized_bytes, usable_bytes
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan

CODE = "PL701"
NAME = "memory-fit"
SECTION = "5, 6"
SEVERITY = "error"
FIXABLE = False

# Engine -> (documented default memory fraction, how the engine spells it). TensorRT-LLM's fraction
# sizes only the KV cache from what the weights leave free; its default is not in the reference.
FRACTIONS: dict[str, tuple[float | None, str]] = {
    "vllm": (0.9, "gpu-memory-utilization"),
    "sglang": (0.9, "mem-fraction-static"),
    "trtllm": (None, "free_gpu_memory_fraction"),
}
GIB = 1024**3
DEFAULT_NODE_SIZE = 8
MAX_PP = 16


@dataclass(frozen=True)
class _Budget:
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
            return f"the {_gib(self.gpu.memory_bytes)} of a {self.gpu.name}, after weights{share}"
        usable = usable_bytes(self.gpu.memory_bytes, self.fraction or 0.0)
        return f"the usable {_gib(usable)} ({_gib(self.gpu.memory_bytes)} {self.gpu.name} x {self.spelling} " \
               f"{self.fraction})"


def _gib(size: float) -> str:
    return f"{size / GIB:.1f} GiB"


def _budget(plan: DeclaredPlan, gpu: GpuSpec) -> _Budget | None:
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
    return _Budget(gpu, fraction, spelling, kv_only=plan.engine == "trtllm")


def _tokens(plan: DeclaredPlan, model: ModelStructure) -> int | None:
    written = plan.get("max_model_len")
    if written is not None:
        return written if isinstance(written, int) and not isinstance(written, bool) else None
    return model.max_position_embeddings


def _kv_bytes(plan: DeclaredPlan, model: ModelStructure) -> float:
    dtype = plan.get("kv_cache_dtype")
    if isinstance(dtype, str) and dtype.lower().startswith("fp8"):
        return 1.0
    return unquantized_bytes(model.dtype)


def _memory(model: ModelStructure, layers: tuple[int, int], tp: int, moe_ep: int, expert_tp: int,
            first: bool, last: bool, kv: float, tokens: int) -> MemoryBreakdown:
    return stage_memory(model, layers=layers, attn_tp=tp, ffn_tp=tp, ep=moe_ep, expert_tp=expert_tp,
                        first=first, last=last, kv_bytes=kv, tokens=tokens)


def _stage_memory(model: ModelStructure, stage: Stage, count: int, kv: float, tokens: int) -> MemoryBreakdown:
    ep, expert_tp = (stage.moe.ep, stage.moe.expert_tp) if stage.moe else (1, 1)
    return _memory(model, stage.layers, stage.attn_tp, ep, expert_tp, stage.index == 0, stage.index == count - 1,
                   kv, tokens)


def _even_layers(num_layers: int, pp: int) -> list[tuple[int, int]]:
    base, remainder = divmod(num_layers, pp)
    bounds, first = [], 0
    for index in range(pp):
        size = base + (1 if index < remainder else 0)
        bounds.append((first, first + size))
        first += size
    return bounds


def _fits(model: ModelStructure, budget: _Budget, tp: int, pp: int, uses_ep: bool, kv: float, tokens: int) -> bool:
    moe_ep, expert_tp = (tp, 1) if uses_ep else (1, tp)
    ranges = _even_layers(model.num_layers, pp)
    return all(
        budget.shortfall(_memory(model, layers, tp, moe_ep, expert_tp, index == 0, index == pp - 1, kv, tokens)) <= 0
        for index, layers in enumerate(ranges)
    )


def _smallest_change(facts: DeploymentFacts, budget: _Budget, tp: int, pp: int, kv: float,
                     tokens: int) -> tuple[str, dict[str, int]] | None:
    """More TP inside the node first (fewest GPUs), else pipeline stages of the current TP."""
    plan, model = facts.plan, facts.model
    assert model is not None
    node = facts.deployment.gpus_per_node or DEFAULT_NODE_SIZE
    uses_ep = any(stage.moe is not None and stage.moe.ep > 1 for stage in facts.deployment.stages)
    for wider in range(tp + 1, node + 1):
        if wider * pp <= tp * pp or tp_problems(model, plan.engine, wider):
            continue
        if _fits(model, budget, wider, pp, uses_ep, kv, tokens):
            return f"tensor parallel size {wider} inside the node ({wider * pp} GPUs per replica)", \
                {"tp": wider, "pp": pp}
    for deeper in range(pp + 1, min(MAX_PP, model.num_layers) + 1):
        if _fits(model, budget, tp, deeper, uses_ep, kv, tokens):
            return f"{deeper} pipeline stages of TP {tp} ({tp * deeper} GPUs per replica)", {"tp": tp, "pp": deeper}
    return None


def _check(facts: DeploymentFacts) -> Iterator[Finding]:
    plan, model, gpu, deployment = facts.plan, facts.model, facts.gpu, facts.deployment
    if model is None or gpu is None or not deployment.stages or any(stage.num_layers <= 0 for stage in
                                                                      deployment.stages):
        return
    budget, tokens = _budget(plan, gpu), _tokens(plan, model)
    if budget is None or tokens is None:
        return
    kv = _kv_bytes(plan, model)
    count = len(deployment.stages)
    memories = [(_stage_memory(model, stage, count, kv, tokens), stage) for stage in deployment.stages]
    memory, stage = max(memories, key=lambda pair: budget.shortfall(pair[0]))
    if budget.shortfall(memory) <= 0:
        return
    where = f"stage {stage.index} (layers {stage.layers[0]}-{stage.layers[1] - 1})" if count > 1 else "each GPU"
    message = (
        f"{model.id} does not fit {where}: weights {_gib(memory.weights)} + KV cache of one {tokens}-token "
        f"sequence {_gib(memory.kv_cache)} + runtime overhead {_gib(memory.overhead)} = {_gib(memory.total)} "
        f"exceed {budget.describe()}"
    )
    change = _smallest_change(facts, budget, stage.attn_tp, count, kv, tokens)
    suggestion = None
    if change is not None:
        summary, degrees = change
        message += f"; smallest structural change that fits: {summary}"
        suggestion = Suggestion(summary, degrees)
    elif memory.weights + memory.overhead < budget.gpu.memory_bytes:
        message += "; lower max-model-len to fit the KV cache"
    at = plan.source("tp") or plan.source("max_model_len") or plan.model
    if at is None:
        return
    related = [(source, f"{source.spelling or 'value'} = {source.value}")
               for source in (plan.source("max_model_len"), plan.source("mem_fraction"), plan.gpu)
               if source is not None and source is not at]
    yield finding(at, message, related=related, suggestion=suggestion)


def check(ctx: LintContext) -> Iterator[Finding]:
    for facts in ctx.deployments:
        yield from _check(facts)
