"""Output of ``parlint model ID_OR_PATH``: the resolved structure, where it came from, counts and bytes."""

from __future__ import annotations

import json
from typing import Any

from parlint.linter.models.canonical import structure_to_json
from parlint.linter.models.memory import weight_bytes
from parlint.linter.models.resolve import Resolution
from parlint.linter.models.structure import ModelStructure
from parlint.linter.values import compact_ranges


def model_json(resolution: Resolution) -> dict[str, Any]:
    """Canonical form plus ``resolution`` and ``weight_bytes`` (valid against model.schema.json)."""
    if resolution.structure is None:
        raise ValueError("unresolved model has no structure")
    data = structure_to_json(resolution.structure)
    data["resolution"] = {
        "source": resolution.source, "missing": list(resolution.missing), "message": resolution.message,
    }
    data["weight_bytes"] = weight_bytes(resolution.structure)
    return data


def render_model(resolution: Resolution, fmt: str = "text") -> str:
    """Text or JSON for ``parlint model``; an unresolved model renders its explanation (JSON: an error object)."""
    if resolution.structure is None:
        if fmt == "json":
            return json.dumps({"error": "model-unresolved", "message": resolution.message,
                               "missing": list(resolution.missing)}, indent=2)
        return f"unresolved: {resolution.message}"
    if fmt == "json":
        return json.dumps(model_json(resolution), indent=2)
    return _text(resolution.structure, resolution)


def _billions(count: int) -> str:
    return f"{count / 1e9:.2f}B"


def _text(model: ModelStructure, resolution: Resolution) -> str:
    attention = model.attention
    lines = [
        f"model: {model.id}",
        f"resolved from: {resolution.source}",
        f"architecture: {model.architecture}",
        f"layers: {model.num_layers}" + (f" (+{model.mtp_layers} MTP)" if model.mtp_layers else ""),
        f"hidden size: {model.hidden_size}",
        f"vocabulary: {model.vocab_size}" + (" (tied embeddings)" if model.tie_word_embeddings else ""),
        f"max positions: {model.max_position_embeddings if model.max_position_embeddings else 'unknown'}",
    ]
    if attention.kind == "mla":
        lines.append(
            f"attention: MLA, {attention.heads} heads, kv_lora_rank {attention.kv_lora_rank}, q_lora_rank "
            f"{attention.q_lora_rank}, qk {attention.qk_nope_head_dim}+{attention.qk_rope_head_dim}, "
            f"v {attention.v_head_dim} (KV cache: one latent of "
            f"{(attention.kv_lora_rank or 0) + (attention.qk_rope_head_dim or 0)} per token per layer)")
    else:
        lines.append(f"attention: {attention.kind.upper()}, {attention.heads} heads, {attention.kv_heads} KV heads, "
                     f"head_dim {attention.head_dim}")
    if attention.sliding_window:
        windowed = compact_ranges(attention.sliding_window_layers)
        lines.append(f"sliding window: {attention.sliding_window} on layers {windowed}")
    if model.non_attention_layers:
        lines.append(f"attention (KV-cache) layers: {compact_ranges(model.attention_layers)}")
    lines.append(f"dense FFN: {model.intermediate_size}" + ("" if model.ffn_gated else " (plain MLP)"))
    if model.moe:
        moe = model.moe
        lines.append(f"MoE: {moe.experts} experts, top-{moe.experts_per_token}, width {moe.moe_intermediate_size}")
        if moe.shared_experts:
            lines.append(f"shared experts: {moe.shared_experts} x width {moe.shared_intermediate_size}")
        lines.append(f"MoE layers: {compact_ranges(moe.moe_layers)}; dense layers: {compact_ranges(moe.dense_layers)}")
    quantization = model.quantization
    if quantization:
        details = [f"{quantization.bits}-bit" if quantization.bits else "", quantization.scheme]
        if quantization.weight_block_size:
            details.append(f"blocks {quantization.weight_block_size[0]}x{quantization.weight_block_size[1]}")
        if quantization.group_size:
            details.append(f"group {quantization.group_size}")
        if quantization.scope == "experts":
            details.append("routed experts only")
        lines.append(f"quantization: {quantization.method} (" + ", ".join(item for item in details if item) + ")")
    lines.append(f"dtype: {model.dtype}")
    lines.append(f"parameters: {_billions(model.params_total)} total, {_billions(model.params_active)} active")
    lines.append(f"weights: {weight_bytes(model) / 1e9:.1f} GB")
    if model.unmodelled:
        lines.append("approximate: not modelled: " + ", ".join(model.unmodelled))
    if resolution.missing:
        lines.append("missing from config: " + ", ".join(resolution.missing))
    return "\n".join(lines) + "\n"
