"""Parameter counts of the parts of a model, from its canonical structure.

One place for the arithmetic that both the parameter totals (``params.total`` / ``params.active``) and the
memory model use. Norm weights are counted (they are tiny); biases are not. MTP / next-n layers, which
sit outside ``num_layers``, are counted separately by :func:`mtp_params`.
"""

from __future__ import annotations

from parlint.linter.models.structure import ModelStructure


def embedding_params(model: ModelStructure) -> int:
    """Input embedding table (vocab x hidden)."""
    return model.vocab_size * model.hidden_size


def lm_head_params(model: ModelStructure) -> int:
    """Output projection; zero when it shares the embedding table."""
    return 0 if model.tie_word_embeddings else model.vocab_size * model.hidden_size


def attention_params(model: ModelStructure) -> int:
    """Q, K, V and output projections of one attention layer (MLA: the low-rank projections)."""
    attention, hidden = model.attention, model.hidden_size
    if attention.kind == "mla":
        rope = attention.qk_rope_head_dim or 0
        query_head = (attention.qk_nope_head_dim or 0) + rope
        value_head = attention.v_head_dim or 0
        kv_rank = attention.kv_lora_rank or 0
        q_rank = attention.q_lora_rank
        query = (
            hidden * q_rank + q_rank + q_rank * attention.heads * query_head
            if q_rank
            else hidden * attention.heads * query_head
        )
        latent = hidden * (kv_rank + rope) + kv_rank
        expand = kv_rank * attention.heads * ((attention.qk_nope_head_dim or 0) + value_head)
        return query + latent + expand + attention.heads * value_head * hidden
    query_width = attention.heads * attention.head_dim
    kv_width = attention.kv_heads * attention.head_dim
    return 2 * hidden * query_width + 2 * hidden * kv_width


def layer_norm_params(model: ModelStructure) -> int:
    """The two norms around attention and FFN in one layer."""
    return 2 * model.hidden_size


def dense_ffn_params(model: ModelStructure) -> int:
    """One dense FFN (gated: gate, up and down; plain: up and down)."""
    matrices = 3 if model.ffn_gated else 2
    return matrices * model.hidden_size * model.intermediate_size


def expert_params(model: ModelStructure) -> int:
    """One routed expert (always a gated MLP in the supported families)."""
    return 3 * model.hidden_size * model.moe.moe_intermediate_size if model.moe else 0


def shared_expert_params(model: ModelStructure) -> int:
    """All shared experts of one MoE layer together."""
    moe = model.moe
    return 3 * model.hidden_size * moe.shared_intermediate_size * moe.shared_experts if moe else 0


def router_params(model: ModelStructure) -> int:
    return model.hidden_size * model.moe.experts if model.moe else 0


def dense_layer_indices(model: ModelStructure) -> tuple[int, ...]:
    """Layers whose FFN is dense."""
    if model.moe is None:
        return tuple(range(model.num_layers))
    return model.moe.dense_layers


def moe_layer_indices(model: ModelStructure) -> tuple[int, ...]:
    return model.moe.moe_layers if model.moe else ()


def mtp_params(model: ModelStructure) -> int:
    """MTP / next-n modules stored next to the decoder (DeepSeek-V3: one full MoE layer plus projections)."""
    if not model.mtp_layers:
        return 0
    layer = attention_params(model) + layer_norm_params(model)
    layer += _moe_layer_params(model, model.moe.experts) if model.moe else dense_ffn_params(model)
    projection = 2 * model.hidden_size * model.hidden_size + 3 * model.hidden_size
    return model.mtp_layers * (layer + projection)


def _moe_layer_params(model: ModelStructure, experts: int) -> int:
    return experts * expert_params(model) + shared_expert_params(model) + router_params(model)


def count_params(model: ModelStructure) -> tuple[int, int]:
    """(total, active) parameters, embeddings and LM head included, MTP layers excluded."""
    per_layer = attention_params(model) + layer_norm_params(model)
    base = (
        embedding_params(model)
        + lm_head_params(model)
        + model.hidden_size
        + per_layer * model.num_layers
        + dense_ffn_params(model) * len(dense_layer_indices(model))
    )
    moe_layers = len(moe_layer_indices(model))
    if model.moe is None or not moe_layers:
        return base, base
    total = base + moe_layers * _moe_layer_params(model, model.moe.experts)
    active = base + moe_layers * _moe_layer_params(model, model.moe.experts_per_token)
    return total, active
