"""The canonical model structure every structural rule reads (schema: ``parlint/schemas/model.schema.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attention:
    kind: str  # "mha", "gqa", "mqa" or "mla"
    heads: int
    kv_heads: int
    head_dim: int
    kv_lora_rank: int | None = None
    q_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    qk_nope_head_dim: int | None = None
    v_head_dim: int | None = None
    sliding_window: int | None = None
    sliding_window_layers: tuple[int, ...] = ()

    @property
    def kv_heads_for_tp(self) -> int:
        """KV heads the engines shard or replicate over TP; MLA caches one shared latent (vLLM: 1)."""
        return 1 if self.kind == "mla" else self.kv_heads


@dataclass(frozen=True)
class Moe:
    experts: int
    experts_per_token: int
    moe_intermediate_size: int
    shared_experts: int = 0
    shared_intermediate_size: int = 0
    moe_layers: tuple[int, ...] = ()
    dense_layers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Quantization:
    method: str
    bits: int | None = None
    weight_block_size: tuple[int, int] | None = None
    group_size: int | None = None
    # The storage format the bytes follow ("fp8", "int8", "int4", "mxfp4", "nvfp4", ...), whatever
    # library wrote the checkpoint (``method`` keeps the config's own ``quant_method``).
    scheme: str = ""
    # "all" linear layers, or only the routed "experts" (gpt-oss MXFP4, Kimi-K2.5 INT4).
    scope: str = "all"


@dataclass(frozen=True)
class ModelStructure:
    id: str
    architecture: str
    num_layers: int
    hidden_size: int
    vocab_size: int
    attention: Attention
    intermediate_size: int
    moe: Moe | None = None
    tie_word_embeddings: bool = False
    max_position_embeddings: int | None = None
    mtp_layers: int = 0
    dtype: str = "bfloat16"
    quantization: Quantization | None = None
    ffn_gated: bool = True  # SwiGLU/GeGLU (3 matrices) vs plain GELU/ReLU MLPs (2 matrices)
    # Layers without a growing KV cache (Mamba, linear attention): hybrid models only.
    non_attention_layers: tuple[int, ...] = ()
    # Weights the canonical form cannot express (Mamba mixers, latent MoE, ...): params and memory are
    # then approximate and memory judgements should stay silent.
    unmodelled: tuple[str, ...] = ()
    params_total: int = 0
    params_active: int = 0
    source: str = ""
    missing: tuple[str, ...] = field(default=())

    @property
    def is_moe(self) -> bool:
        return self.moe is not None and self.moe.experts > 0

    @property
    def attention_layers(self) -> tuple[int, ...]:
        """Layers that keep a KV cache."""
        skipped = set(self.non_attention_layers)
        return tuple(index for index in range(self.num_layers) if index not in skipped)
