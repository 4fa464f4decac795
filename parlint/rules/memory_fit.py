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
(``tensorrt_llm/commands/serve.py``: "Free GPU memory fraction reserved for KV Cache, after allocating model
weights and buffers."; ``shared/reference/linter-conventions.md`` B.2, B.3, B.12). The runtime-overhead term
(activations, CUDA graphs, communication buffers) is parlint's own estimate, not an engine's accounting.

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

from parlint.linter.constraints import tp_problems
from parlint.linter.context import DeploymentFacts, LintContext, finding
from parlint.linter.diagnostics import Finding, Suggestion
from parlint.linter.mapping import Stage
from parlint.linter.models.memory import MemoryBreakdown
from parlint.linter.models.structure import ModelStructure
from parlint.rules._memory_budget import (
    MemoryBudget,
    gib,
    kv_cache_bytes,
    memory_budget,
    sequence_tokens,
    stage_bytes,
)

CODE = "PL701"
NAME = "memory-fit"
SECTION = "6"
SEVERITY = "error"
FIXABLE = False

DEFAULT_NODE_SIZE = 8
MAX_PP = 16


def _stage_memory(model: ModelStructure, stage: Stage, count: int, kv: float, tokens: int) -> MemoryBreakdown:
    ep, expert_tp = (stage.moe.ep, stage.moe.expert_tp) if stage.moe else (1, 1)
    return stage_bytes(model, stage.layers, stage.attn_tp, ep, expert_tp, stage.index == 0, stage.index == count - 1,
                   kv, tokens)


def _even_layers(num_layers: int, pp: int) -> list[tuple[int, int]]:
    base, remainder = divmod(num_layers, pp)
    bounds, first = [], 0
    for index in range(pp):
        size = base + (1 if index < remainder else 0)
        bounds.append((first, first + size))
        first += size
    return bounds


def _fits(model: ModelStructure, budget: MemoryBudget, tp: int, pp: int, uses_ep: bool, kv: float, tokens: int) -> bool:
    moe_ep, expert_tp = (tp, 1) if uses_ep else (1, tp)
    ranges = _even_layers(model.num_layers, pp)
    return all(
        budget.shortfall(stage_bytes(model, layers, tp, moe_ep, expert_tp, index == 0, index == pp - 1, kv,
                                     tokens)) <= 0
        for index, layers in enumerate(ranges)
    )


def _smallest_change(facts: DeploymentFacts, budget: MemoryBudget, tp: int, pp: int, kv: float,
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
    budget, tokens = memory_budget(plan, gpu), sequence_tokens(plan, model)
    if budget is None or tokens is None:
        return
    kv = kv_cache_bytes(plan, model)
    count = len(deployment.stages)
    memories = [(_stage_memory(model, stage, count, kv, tokens), stage) for stage in deployment.stages]
    memory, stage = max(memories, key=lambda pair: budget.shortfall(pair[0]))
    if budget.shortfall(memory) <= 0:
        return
    where = f"stage {stage.index} (layers {stage.layers[0]}-{stage.layers[1] - 1})" if count > 1 else "each GPU"
    message = (
        f"{model.id} does not fit {where}: weights {gib(memory.weights)} + KV cache of one {tokens}-token "
        f"sequence {gib(memory.kv_cache)} + runtime overhead {gib(memory.overhead)} = {gib(memory.total)} "
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
