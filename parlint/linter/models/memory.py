"""Per-GPU memory of one pipeline stage: weights as the engines shard them, KV cache per token, overhead.

Sharding (vLLM / SGLang parallel linear layers): attention heads are split over attention TP (KV heads
are copied when TP exceeds them; the MLA latent projection is replicated); dense FFNs over FFN TP; routed
experts over EP (the most loaded rank holds ceil(experts / EP)) and within an expert over expert-TP;
shared experts like a dense FFN over ``shared_tp``; the embedding on the first stage and the LM head on
the last are vocab-sharded over TP (a tied head is stored once when both sit on one stage); norms and
routers are replicated.

Bytes per parameter include the scales the format stores: FP8 with 128 x 128 blocks keeps one float32
scale per block, INT4 one fp16 scale per group (AWQ / GPTQ also a 4-bit zero point), MXFP4 one e8m0 byte
per 32 values, NVFP4 one fp8 byte per 16. Embeddings, LM head, norms and routers stay in the model dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

from parlint.linter.models.params import (
    dense_ffn_params,
    embedding_params,
    expert_params,
    layer_norm_params,
    mtp_params,
    router_params,
    shared_expert_params,
)
from parlint.linter.models.structure import ModelStructure, Quantization

# parlint's estimate of what an engine needs beyond weights and KV cache on each GPU: activations of a
# prefill chunk, CUDA graphs, NCCL / all-to-all buffers and the CUDA context. Not an engine constant.
RUNTIME_OVERHEAD_BYTES = 3 * 1024**3
DTYPE_BYTES = {"bfloat16": 2.0, "float16": 2.0, "float32": 4.0, "float8": 1.0, "fp8": 1.0}


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes on the most loaded GPU of one stage."""

    attention_weights: int
    dense_ffn_weights: int
    expert_weights: int
    shared_expert_weights: int
    embedding_weights: int  # input embedding and/or LM head held by this stage
    other_weights: int  # norms, routers, MTP modules
    kv_bytes_per_token: int
    kv_cache: int  # kv_bytes_per_token x tokens
    overhead: int

    @property
    def weights(self) -> int:
        return (
            self.attention_weights + self.dense_ffn_weights + self.expert_weights + self.shared_expert_weights
            + self.embedding_weights + self.other_weights
        )

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def unquantized_bytes(dtype: str) -> float:
    return DTYPE_BYTES.get(dtype, 2.0)


def quantized_bytes(quantization: Quantization) -> float:
    """Bytes per weight of a quantized linear layer, scales included."""
    scheme = quantization.scheme or quantization.method
    group = quantization.group_size
    if scheme == "fp8" or scheme == "int8" or quantization.bits == 8:
        if quantization.weight_block_size:
            block_n, block_k = quantization.weight_block_size
            return 1.0 + 4.0 / (block_n * block_k)
        return 1.0
    if scheme == "mxfp4":
        return 0.5 + 1.0 / (group or 32)
    if scheme == "nvfp4":
        return 0.5 + 1.0 / (group or 16)
    if quantization.bits == 4 or scheme == "int4":
        if not group:
            return 0.5
        zero_point = 0.5 if quantization.method in {"awq", "gptq"} else 0.0
        return 0.5 + (2.0 + zero_point) / group
    if quantization.bits:
        return quantization.bits / 8
    return 2.0


def linear_bytes(model: ModelStructure, *, routed_expert: bool) -> float:
    """Bytes per parameter of a linear layer (routed expert or not) under the model's quantization."""
    quantization = model.quantization
    if quantization is None or (quantization.scope == "experts" and not routed_expert):
        return unquantized_bytes(model.dtype)
    return quantized_bytes(quantization)


def _ceil_div(value: int, divisor: int) -> int:
    return -(-value // max(divisor, 1))


def attention_params_per_gpu(model: ModelStructure, attn_tp: int) -> int:
    """One attention layer's parameters on one rank of an attention-TP group."""
    attention, hidden = model.attention, model.hidden_size
    if attention.kind == "mla":
        rope = attention.qk_rope_head_dim or 0
        nope = attention.qk_nope_head_dim or 0
        value_head = attention.v_head_dim or 0
        kv_rank = attention.kv_lora_rank or 0
        heads = _ceil_div(attention.heads, attn_tp)
        q_rank = attention.q_lora_rank
        replicated = hidden * (kv_rank + rope) + kv_rank + ((hidden * q_rank + q_rank) if q_rank else 0)
        per_head = (q_rank or hidden) * (nope + rope) + kv_rank * (nope + value_head) + value_head * hidden
        return replicated + heads * per_head
    heads = _ceil_div(attention.heads, attn_tp)
    kv_heads = _ceil_div(attention.kv_heads, attn_tp)
    return 2 * hidden * heads * attention.head_dim + 2 * hidden * kv_heads * attention.head_dim


def kv_bytes_per_token(model: ModelStructure, layers: tuple[int, int], attn_tp: int, kv_bytes: float) -> int:
    """KV-cache bytes one token needs on one GPU of a stage holding ``layers`` = [first, last).

    GQA/MHA: 2 x layers x ceil(kv_heads / attn_tp) x head_dim x bytes. MLA: layers x (kv_lora_rank +
    qk_rope_head_dim) x bytes, replicated on every TP rank (vLLM ``get_num_kv_heads`` returns 1).
    Layers without attention (Mamba, linear attention) keep no per-token cache.
    """
    skipped = set(model.non_attention_layers)
    count = sum(1 for index in range(*layers) if index not in skipped)
    attention = model.attention
    if attention.kind == "mla":
        width = (attention.kv_lora_rank or 0) + (attention.qk_rope_head_dim or 0)
        return int(count * width * kv_bytes)
    return int(2 * count * _ceil_div(attention.kv_heads, attn_tp) * attention.head_dim * kv_bytes)


def stage_memory(
    model: ModelStructure,
    *,
    layers: tuple[int, int] | None = None,
    attn_tp: int = 1,
    ffn_tp: int | None = None,
    ep: int = 1,
    expert_tp: int = 1,
    shared_tp: int | None = None,
    first: bool = True,
    last: bool = True,
    kv_bytes: float = 2.0,
    tokens: int = 0,
    include_mtp: bool = False,
    overhead_bytes: int = RUNTIME_OVERHEAD_BYTES,
) -> MemoryBreakdown:
    """Memory on the most loaded GPU of a stage holding decoder layers ``layers`` = [first, last).

    With a :class:`parlint.linter.mapping.Stage` ``stage``: ``layers=stage.layers, attn_tp=stage.attn_tp,
    ffn_tp=stage.ffn_tp, ep=stage.moe.ep, expert_tp=stage.moe.expert_tp``; ``first`` / ``last`` say
    whether the stage holds the embedding / LM head. ``kv_bytes`` is the KV-cache dtype size.
    """
    span = layers if layers is not None else (0, model.num_layers)
    ffn_tp = ffn_tp or attn_tp
    shared_tp = shared_tp or ffn_tp
    indices = range(max(span[0], 0), min(span[1], model.num_layers))
    skipped = set(model.non_attention_layers)
    attention_layers = sum(1 for index in indices if index not in skipped)
    moe_set = set(model.moe.moe_layers) if model.moe else set()
    moe_count = sum(1 for index in indices if index in moe_set)
    dense_count = len(indices) - moe_count
    dtype_bytes = unquantized_bytes(model.dtype)
    dense_linear = linear_bytes(model, routed_expert=False)
    expert_linear = linear_bytes(model, routed_expert=True)

    attention = attention_layers * attention_params_per_gpu(model, attn_tp) * dense_linear
    dense = dense_count * dense_ffn_params(model) / max(ffn_tp, 1) * dense_linear
    experts = shared = routers = 0.0
    if model.moe and moe_count:
        experts_here = _ceil_div(model.moe.experts, ep)
        experts = moe_count * experts_here * expert_params(model) / max(expert_tp, 1) * expert_linear
        shared = moe_count * shared_expert_params(model) / max(shared_tp, 1) * dense_linear
        routers = moe_count * router_params(model) * dtype_bytes
    vocab_shard = embedding_params(model) / max(attn_tp, 1) * dtype_bytes
    embedding = 0.0
    if first:
        embedding += vocab_shard
    if last and (not model.tie_word_embeddings or not first):
        embedding += vocab_shard
    norms = (len(indices) * layer_norm_params(model) + (model.hidden_size if last else 0)) * dtype_bytes
    mtp = mtp_params(model) * expert_linear if include_mtp and last else 0.0  # unsharded: an upper bound
    per_token = kv_bytes_per_token(model, span, attn_tp, kv_bytes)
    return MemoryBreakdown(
        attention_weights=int(attention),
        dense_ffn_weights=int(dense),
        expert_weights=int(experts),
        shared_expert_weights=int(shared),
        embedding_weights=int(embedding),
        other_weights=int(norms + routers + mtp),
        kv_bytes_per_token=per_token,
        kv_cache=per_token * max(tokens, 0),
        overhead=overhead_bytes,
    )


def weight_bytes(model: ModelStructure, *, include_mtp: bool = False) -> int:
    """All weights of the model on one device, in its own dtype / quantization."""
    return stage_memory(model, include_mtp=include_mtp, overhead_bytes=0).weights


def usable_bytes(gpu_memory_bytes: int, utilization: float) -> int:
    """What an engine lets itself use: total GPU memory x its memory-utilization setting."""
    return int(gpu_memory_bytes * utilization)


def kv_cache_capacity_tokens(breakdown: MemoryBreakdown, gpu_memory_bytes: int, utilization: float) -> int:
    """Tokens of KV cache that fit after weights and overhead (0 when the weights alone do not fit)."""
    free = usable_bytes(gpu_memory_bytes, utilization) - breakdown.weights - breakdown.overhead
    if free <= 0 or breakdown.kv_bytes_per_token <= 0:
        return 0
    return free // breakdown.kv_bytes_per_token
