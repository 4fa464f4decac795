"""The canonical JSON form of a model structure (``parlint/schemas/model.schema.json``), both ways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parlint.linter.models.structure import Attention, ModelStructure, Moe, Quantization


def structure_to_json(model: ModelStructure) -> dict[str, Any]:
    """The canonical form; ``structure_from_json`` reads it back unchanged."""
    attention = model.attention
    moe = model.moe
    quantization = model.quantization
    return {
        "id": model.id,
        "architecture": model.architecture,
        "num_layers": model.num_layers,
        "hidden_size": model.hidden_size,
        "vocab_size": model.vocab_size,
        "tie_word_embeddings": model.tie_word_embeddings,
        "max_position_embeddings": model.max_position_embeddings,
        "attention": {
            "kind": attention.kind,
            "heads": attention.heads,
            "kv_heads": attention.kv_heads,
            "head_dim": attention.head_dim,
            "kv_lora_rank": attention.kv_lora_rank,
            "q_lora_rank": attention.q_lora_rank,
            "qk_rope_head_dim": attention.qk_rope_head_dim,
            "qk_nope_head_dim": attention.qk_nope_head_dim,
            "v_head_dim": attention.v_head_dim,
            "sliding_window": attention.sliding_window,
            "sliding_window_layers": list(attention.sliding_window_layers),
        },
        "ffn": {"intermediate_size": model.intermediate_size, "gated": model.ffn_gated},
        "moe": None if moe is None else {
            "experts": moe.experts,
            "experts_per_token": moe.experts_per_token,
            "moe_intermediate_size": moe.moe_intermediate_size,
            "shared_experts": moe.shared_experts,
            "shared_intermediate_size": moe.shared_intermediate_size,
            "moe_layers": list(moe.moe_layers),
            "dense_layers": list(moe.dense_layers),
        },
        "mtp_layers": model.mtp_layers,
        "non_attention_layers": list(model.non_attention_layers),
        "unmodelled": list(model.unmodelled),
        "dtype": model.dtype,
        "quantization": None if quantization is None else quantization_to_json(quantization),
        "params": {"total": model.params_total, "active": model.params_active},
    }


def quantization_to_json(quantization: Quantization) -> dict[str, Any]:
    return {
        "method": quantization.method,
        "bits": quantization.bits,
        "weight_block_size": list(quantization.weight_block_size) if quantization.weight_block_size else None,
        "group_size": quantization.group_size,
        "scheme": quantization.scheme,
        "scope": quantization.scope,
    }


def quantization_from_json(data: Mapping[str, Any]) -> Quantization:
    block = data.get("weight_block_size")
    return Quantization(
        method=str(data["method"]),
        bits=data.get("bits"),
        weight_block_size=(int(block[0]), int(block[1])) if block else None,
        group_size=data.get("group_size"),
        scheme=str(data.get("scheme") or ""),
        scope=str(data.get("scope") or "all"),
    )


def structure_from_json(data: Mapping[str, Any], source: str = "") -> ModelStructure:
    """Read the canonical form (as written by :func:`structure_to_json`); raises ``KeyError`` if incomplete."""
    attention = data["attention"]
    moe = data.get("moe")
    quantization = data.get("quantization")
    ffn = data.get("ffn") or {}
    params = data.get("params") or {}
    return ModelStructure(
        id=str(data["id"]),
        architecture=str(data.get("architecture") or ""),
        num_layers=int(data["num_layers"]),
        hidden_size=int(data["hidden_size"]),
        vocab_size=int(data["vocab_size"]),
        attention=Attention(
            kind=str(attention["kind"]),
            heads=int(attention["heads"]),
            kv_heads=int(attention["kv_heads"]),
            head_dim=int(attention["head_dim"]),
            kv_lora_rank=attention.get("kv_lora_rank"),
            q_lora_rank=attention.get("q_lora_rank"),
            qk_rope_head_dim=attention.get("qk_rope_head_dim"),
            qk_nope_head_dim=attention.get("qk_nope_head_dim"),
            v_head_dim=attention.get("v_head_dim"),
            sliding_window=attention.get("sliding_window"),
            sliding_window_layers=tuple(attention.get("sliding_window_layers") or ()),
        ),
        intermediate_size=int(ffn.get("intermediate_size") or 0),
        moe=None if moe is None else Moe(
            experts=int(moe["experts"]),
            experts_per_token=int(moe["experts_per_token"]),
            moe_intermediate_size=int(moe["moe_intermediate_size"]),
            shared_experts=int(moe.get("shared_experts") or 0),
            shared_intermediate_size=int(moe.get("shared_intermediate_size") or 0),
            moe_layers=tuple(moe.get("moe_layers") or ()),
            dense_layers=tuple(moe.get("dense_layers") or ()),
        ),
        tie_word_embeddings=bool(data.get("tie_word_embeddings")),
        max_position_embeddings=data.get("max_position_embeddings"),
        mtp_layers=int(data.get("mtp_layers") or 0),
        dtype=str(data.get("dtype") or "bfloat16"),
        quantization=None if quantization is None else quantization_from_json(quantization),
        ffn_gated=bool(ffn.get("gated", True)),
        non_attention_layers=tuple(data.get("non_attention_layers") or ()),
        unmodelled=tuple(data.get("unmodelled") or ()),
        params_total=int(params.get("total") or 0),
        params_active=int(params.get("active") or 0),
        source=source,
    )
