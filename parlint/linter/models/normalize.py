"""Turn a raw Hugging Face ``config.json`` (or a Meta / Mistral ``params.json``) into the canonical structure.

Key names, lookup orders and defaults follow ``shared/reference/model-config-keys.md``, which quotes vLLM's
``vllm/transformers_utils/model_arch_config_convertor.py`` and ``CONFIG_FIELD_ALIASES`` in
``vllm/transformers_utils/config.py``, plus the transformers configuration classes of each family.

Bad input never raises: whatever can be read is returned, and every field that could not be read is named
in ``NormalizeResult.missing``. Without the fields a structure cannot stand on (layers, hidden size,
heads, vocabulary) ``structure`` is ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from parlint.linter.models.params import count_params
from parlint.linter.models.structure import Attention, ModelStructure, Moe, Quantization
from parlint.linter.values import as_int

# vLLM's is_deepseek_mla model types (model-config-keys.md 1.4); a kv_lora_rank outside these also means MLA.
MLA_MODEL_TYPES = frozenset({
    "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_mtp", "kimi_k2", "kimi_linear", "glm_moe_dsa",
    "glm4_moe_lite", "longcat_flash",
})
# Families whose raw config omits tie_word_embeddings because the class default is True (1.10).
TIED_BY_DEFAULT = frozenset({
    "gemma", "gemma2", "gemma3", "gemma3_text", "falcon", "RefinedWeb", "RefinedWebModel", "opt", "gpt2",
    "bloom", "cohere", "cohere2", "starcoder2", "gpt_bigcode",
})
# Families with a plain two-matrix MLP (GELU / ReLU / squared ReLU) instead of a gated one.
PLAIN_MLP = frozenset({
    "falcon", "RefinedWeb", "RefinedWebModel", "opt", "gpt2", "bloom", "phi", "starcoder2", "gpt_bigcode",
    "nemotron", "gpt_neox", "mpt",
})
# vLLM's maximum-length keys; the smallest present wins (1.11).
MAX_LENGTH_KEYS = (
    "max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_target_positions",
    "max_sequence_length", "max_seq_length", "seq_len", "sequence_len",
)
DTYPE_NAMES = {
    "bfloat16": "bfloat16", "bf16": "bfloat16", "float16": "float16", "fp16": "float16", "half": "float16",
    "float32": "float32", "fp32": "float32", "float": "float32",
}


@dataclass(frozen=True)
class NormalizeResult:
    structure: ModelStructure | None
    missing: list[str] = field(default_factory=list)


class _Reader:
    """Reads typed values from one config mapping and remembers what it could not find."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.missing: list[str] = []

    def raw(self, *paths: str) -> Any:
        """The first non-null value among dotted ``paths``."""
        for path in paths:
            value: Any = self.config
            for part in path.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            if value is not None:
                return value
        return None

    def integer(self, *paths: str) -> int | None:
        return as_int(self.raw(*paths))

    def required(self, name: str, *paths: str) -> int | None:
        value = self.integer(*paths)
        if value is None or value <= 0:
            self.missing.append(name)
            return None
        return value


def _int_list(value: Any) -> list[int] | None:
    if not isinstance(value, list):
        return None
    items = [as_int(item) for item in value]
    return None if any(item is None for item in items) else [item for item in items if item is not None]


def normalize_config(raw: Mapping[str, Any], model_id: str = "", source: str = "") -> NormalizeResult:
    """The canonical structure of a raw ``config.json`` mapping, plus the names of fields it lacked."""
    if not isinstance(raw, Mapping):
        return NormalizeResult(None, ["config (not a JSON object)"])
    text = raw.get("text_config")
    config: Mapping[str, Any] = text if isinstance(text, Mapping) else raw
    reader = _Reader(config)
    model_type = str(config.get("model_type") or raw.get("model_type") or "")
    architectures = raw.get("architectures")
    architecture = (
        str(architectures[0]) if isinstance(architectures, list) and architectures else model_type
    )

    layers = reader.integer("num_hidden_layers", "n_layer", "n_layers", "num_layers")
    block_types = config.get("layers_block_type")
    if layers is None and isinstance(block_types, list) and block_types:
        layers = len(block_types)  # Nemotron-H configs may list blocks without num_hidden_layers
    if layers is None or layers <= 0:
        reader.missing.append("num_layers")
        layers = None
    hidden = reader.required("hidden_size", "hidden_size", "d_model", "n_embd", "n_embed", "dim", "emb_size")
    vocab = reader.integer("padded_vocab_size", "vocab_size", "n_vocab")
    if vocab is None and model_type == "gemma3_text":
        vocab = 262208
    if vocab is None or vocab <= 0:
        reader.missing.append("vocab_size")
    attention = _attention(reader, model_type, hidden)
    moe = _moe(reader, model_type, layers)
    intermediate = _dense_width(reader, model_type, hidden, moe)

    if layers is None or hidden is None or vocab is None or attention is None:
        return NormalizeResult(None, reader.missing)

    tie = config.get("tie_word_embeddings", raw.get("tie_word_embeddings"))
    non_attention = _non_attention_layers(reader, model_type, layers)
    structure = ModelStructure(
        id=model_id or str(raw.get("_name_or_path") or ""),
        architecture=architecture,
        num_layers=layers,
        hidden_size=hidden,
        vocab_size=vocab,
        attention=_with_sliding_window(reader, model_type, attention, layers),
        intermediate_size=intermediate or 0,
        moe=_place_moe_layers(reader, model_type, layers, moe),
        tie_word_embeddings=bool(tie) if isinstance(tie, bool) else model_type in TIED_BY_DEFAULT,
        max_position_embeddings=_max_length(reader),
        mtp_layers=_mtp_layers(reader),
        dtype=_dtype(config, raw),
        quantization=_quantization(raw, config),
        ffn_gated=model_type not in PLAIN_MLP,
        non_attention_layers=non_attention,
        unmodelled=_unmodelled(config, non_attention),
        source=source,
        missing=tuple(reader.missing),
    )
    total, active = count_params(structure)
    return NormalizeResult(replace(structure, params_total=total, params_active=active), reader.missing)


def _attention(reader: _Reader, model_type: str, hidden: int | None) -> Attention | None:
    heads = reader.required("attention.heads", "num_attention_heads", "n_head", "n_heads", "num_q_heads")
    if heads is None:
        return None
    kv_lora_rank = reader.integer("kv_lora_rank")
    if kv_lora_rank is not None and kv_lora_rank > 0:
        rope = reader.integer("qk_rope_head_dim")
        nope = reader.integer("qk_nope_head_dim")
        value_head = reader.integer("v_head_dim")
        for name, value in (("qk_rope_head_dim", rope), ("qk_nope_head_dim", nope), ("v_head_dim", value_head)):
            if value is None:
                reader.missing.append(f"attention.{name}")
        return Attention(
            kind="mla", heads=heads, kv_heads=heads, head_dim=(nope or 0) + (rope or 0),
            kv_lora_rank=kv_lora_rank, q_lora_rank=reader.integer("q_lora_rank"), qk_rope_head_dim=rope,
            qk_nope_head_dim=nope, v_head_dim=value_head,
        )
    kv_heads = _kv_heads(reader, model_type, heads)
    head_dim = reader.integer("head_dim", "hidden_size_per_head", "key_size", "kv_channels")
    if head_dim is None or head_dim <= 0:
        if hidden is None:
            reader.missing.append("attention.head_dim")
            return None
        head_dim = hidden // heads
    kind = "mha" if kv_heads == heads else "mqa" if kv_heads == 1 else "gqa"
    return Attention(kind=kind, heads=heads, kv_heads=kv_heads, head_dim=head_dim)


def _kv_heads(reader: _Reader, model_type: str, heads: int) -> int:
    """vLLM's KV-head lookup order plus the DBRX, Falcon and Nemotron-NAS special cases (1.3)."""
    value = reader.integer(
        "n_head_kv", "num_kv_heads", "num_key_value_heads", "multi_query_group_num", "num_attention_groups",
        "attn_config.kv_n_heads", "n_kv_heads",
    )
    if value is not None and value > 0:
        return value
    if model_type in {"falcon", "RefinedWeb", "RefinedWebModel"}:
        multi_query = reader.config.get("multi_query", True)
        if multi_query and not reader.config.get("new_decoder_architecture", False):
            return 1
    blocks = reader.config.get("block_configs")
    if isinstance(blocks, list):
        groups = [
            as_int(block.get("attention", {}).get("n_heads_in_group"))
            for block in blocks
            if isinstance(block, Mapping) and isinstance(block.get("attention"), Mapping)
        ]
        group = next((item for item in groups if item), None)
        if group:
            return heads // group
    return heads


def _dense_width(reader: _Reader, model_type: str, hidden: int | None, moe: Moe | None) -> int | None:
    """Width of the dense FFN layers (model-config-keys.md 1.5, 2)."""
    width = reader.integer(
        "intermediate_size_mlp", "dense_intermediate_size", "intermediate_size", "ffn_hidden_size", "ffn_dim",
        "n_inner", "hidden_dim",
    )
    if width:
        return width
    if model_type == "grok" or reader.raw("widening_factor") is not None:
        factor, emb = reader.raw("widening_factor"), reader.integer("emb_size")
        if isinstance(factor, (int, float)) and emb:
            # xai-org/grok-1 model.py ffn_size: int(widening_factor * emb) * 2 // 3, rounded up to 8.
            size = int(factor * emb) * 2 // 3
            return size + (-size % 8)
    multiplier, multiple_of = reader.raw("ffn_dim_multiplier"), reader.integer("multiple_of")
    if hidden and multiple_of:
        # Meta params.json (llama-models sku_list): round_up(int(int(8 * dim / 3) * multiplier), multiple_of).
        size = int(2 * 4 * hidden / 3)
        size = int(size * (multiplier if isinstance(multiplier, (int, float)) else 1))
        return size + (-size % multiple_of)
    if hidden and model_type in PLAIN_MLP:
        return 4 * hidden  # Falcon, GPT-2 and BLOOM default to 4 x hidden.
    if moe is not None:
        return moe.moe_intermediate_size
    reader.missing.append("ffn.intermediate_size")
    return None


def _moe(reader: _Reader, model_type: str, layers: int | None) -> Moe | None:
    """Routed experts, top-k, widths and shared experts; layer placement comes later."""
    experts = reader.integer(
        "num_experts", "moe_num_experts", "n_routed_experts", "num_local_experts", "ffn_config.moe_num_experts",
        "moe.num_experts",
    )
    if not experts or experts <= 1:
        return None
    top_k = reader.integer(
        "num_experts_per_tok", "experts_per_token", "num_experts_per_token", "ffn_config.moe_top_k",
        "moe_topk", "moe_top_k", "top_k_experts", "num_selected_experts", "top_k", "moe.num_experts_per_tok",
    )
    if not top_k:
        reader.missing.append("moe.experts_per_token")
    # Without moe_intermediate_size, intermediate_size is the expert width (Mixtral, Llama 4, gpt-oss, ...).
    width = reader.integer("moe_intermediate_size", "ffn_config.ffn_hidden_size", "intermediate_size", "hidden_dim")
    if not width and reader.raw("widening_factor") is not None:
        width = _dense_width(reader, "grok", None, None)
    if not width:
        reader.missing.append("moe.moe_intermediate_size")
    shared_count = reader.integer("n_shared_experts", "num_shared_experts") or 0
    shared_total = reader.integer(
        "shared_expert_intermediate_size", "moe_shared_expert_intermediate_size", "shared_intermediate_size",
    ) or 0
    if model_type in {"llama4", "llama4_text"}:
        shared_count, shared_each = 1, width or 0  # Llama4TextMoe always has one shared expert.
    elif shared_count and shared_total:
        shared_each = shared_total // shared_count
    elif shared_count:
        shared_each = width or 0
    elif shared_total:
        shared_count, shared_each = 1, shared_total
    else:
        shared_each = 0
    all_layers = tuple(range(layers or 0))
    return Moe(
        experts=experts, experts_per_token=top_k or 0, moe_intermediate_size=width or 0,
        shared_experts=shared_count, shared_intermediate_size=shared_each, moe_layers=all_layers,
    )


def _place_moe_layers(reader: _Reader, model_type: str, layers: int, moe: Moe | None) -> Moe | None:
    """Which layers are MoE, per family (model-config-keys.md 1.6)."""
    if moe is None:
        return None
    is_moe = _moe_rule(reader, model_type, layers)
    moe_layers = tuple(index for index in range(layers) if is_moe(index))
    dense_layers = tuple(index for index in range(layers) if not is_moe(index))
    if not moe_layers:
        return None
    return replace(moe, moe_layers=moe_layers, dense_layers=dense_layers)


def _moe_rule(reader: _Reader, model_type: str, layers: int) -> Callable[[int], bool]:
    config = reader.config
    block_types = config.get("layers_block_type")
    if isinstance(block_types, list) and len(block_types) == layers:
        return lambda index: str(block_types[index]).lower() == "moe"
    layer_types = config.get("mlp_layer_types")
    if isinstance(layer_types, list) and len(layer_types) == layers:
        return lambda index: str(layer_types[index]).lower() in {"sparse", "moe"}
    pattern = config.get("hybrid_override_pattern")
    if isinstance(pattern, str) and len(pattern) == layers:
        return lambda index: pattern[index] == "E"
    explicit = _int_list(config.get("moe_layers"))
    if explicit is not None:
        chosen = set(explicit)
        return lambda index: index in chosen
    frequency = config.get("moe_layer_freq")
    frequency_list = _int_list(frequency)
    if frequency_list is not None and len(frequency_list) == layers:
        return lambda index: bool(frequency_list[index])
    first_dense = reader.integer("first_k_dense_replace")
    if first_dense is not None:
        frequency_step = as_int(frequency) or 1
        return lambda index: index >= first_dense and index % frequency_step == 0
    interleave = reader.integer("interleave_moe_layer_step")
    if interleave:
        return lambda index: index % interleave == interleave - 1
    period = reader.integer("expert_layer_period")
    if period:
        offset = reader.integer("expert_layer_offset") or 0
        return lambda index: index % period == offset
    sparse_step = reader.integer("decoder_sparse_step")
    mlp_only = set(_int_list(config.get("mlp_only_layers")) or [])
    if sparse_step or mlp_only:
        every = sparse_step or 1
        return lambda index: index not in mlp_only and (index + 1) % every == 0
    return lambda index: True


def _with_sliding_window(reader: _Reader, model_type: str, attention: Attention, layers: int) -> Attention:
    """Sliding-window layers: ``layer_types``, Gemma's alternation, Qwen2's ``max_window_layers``."""
    window = reader.integer("sliding_window")
    max_length = reader.integer("max_position_embeddings")
    if not window or (max_length and window >= max_length) or reader.config.get("use_sliding_window") is False:
        return attention
    layer_types = reader.config.get("layer_types")
    if isinstance(layer_types, list) and len(layer_types) == layers:
        sliding = tuple(i for i, kind in enumerate(layer_types) if "sliding" in str(kind))
    elif model_type in {"gemma3", "gemma3_text"}:
        pattern = reader.integer("sliding_window_pattern") or 6
        sliding = tuple(i for i in range(layers) if (i + 1) % pattern)
    elif model_type == "gemma2":
        sliding = tuple(i for i in range(layers) if i % 2 == 0)
    elif model_type in {"qwen2", "qwen2_moe", "qwen3", "qwen3_moe"}:
        first = reader.integer("max_window_layers") or 0
        sliding = tuple(range(first, layers))
    else:
        sliding = tuple(range(layers))
    if not sliding:
        return attention
    return replace(attention, sliding_window=window, sliding_window_layers=sliding)


def _non_attention_layers(reader: _Reader, model_type: str, layers: int) -> tuple[int, ...]:
    """Mamba / linear-attention layers that keep no growing KV cache (Jamba, Qwen3-Next, Nemotron-H)."""
    config = reader.config
    period = reader.integer("attn_layer_period")
    if period:
        offset = reader.integer("attn_layer_offset") or 0
        return tuple(i for i in range(layers) if i % period != offset)
    layer_types = config.get("layer_types")
    if isinstance(layer_types, list) and len(layer_types) == layers:
        linear = tuple(
            i for i, kind in enumerate(layer_types)
            if any(word in str(kind) for word in ("linear", "mamba", "ssm", "recurrent"))
        )
        if linear:
            return linear
    interval = reader.integer("full_attention_interval")
    if interval:
        return tuple(i for i in range(layers) if (i + 1) % interval)
    pattern = config.get("hybrid_override_pattern")
    if isinstance(pattern, str) and len(pattern) == layers:
        return tuple(i for i, kind in enumerate(pattern) if kind != "*")
    block_types = config.get("layers_block_type")
    if isinstance(block_types, list) and len(block_types) == layers:
        return tuple(i for i, kind in enumerate(block_types) if str(kind).lower() != "attention")
    return ()


UNMODELLED_KEYS = {
    "moe_latent_size": "latent MoE projections",
    "routed_expert_hidden_size": "latent MoE projections",
    "block_configs": "per-layer heterogeneous blocks",
    "enable_moe_block": "dense MLP beside the MoE block",
    "hc_mult": "hyper-connections and compressed attention",
    "o_lora_rank": "low-rank output projection",
}


def _unmodelled(config: Mapping[str, Any], non_attention: tuple[int, ...]) -> tuple[str, ...]:
    parts = {label for key, label in UNMODELLED_KEYS.items() if config.get(key) is not None}
    if non_attention:
        parts.add("Mamba / linear-attention mixer weights")
    return tuple(sorted(parts))


def _max_length(reader: _Reader) -> int | None:
    override = reader.integer("model_max_length")
    if override:
        return override
    values = [value for value in (reader.integer(key) for key in MAX_LENGTH_KEYS) if value]
    if values:
        return min(values)
    if reader.config.get("model_type") == "gemma3_text":
        return 131072
    return None


def _mtp_layers(reader: _Reader) -> int:
    count = reader.integer("num_nextn_predict_layers", "mtp_num_hidden_layers", "n_mtp_layers")
    if count:
        return count
    if reader.config.get("use_mtp"):
        modules = reader.integer("num_mtp_modules") or 1
        return modules * (reader.integer("mtp_transformer_layers") or 1)
    return 0


def _dtype(config: Mapping[str, Any], raw: Mapping[str, Any]) -> str:
    for source in (config, raw):
        for key in ("dtype", "torch_dtype"):
            value = source.get(key)
            if isinstance(value, str) and value.lower().removeprefix("torch.") in DTYPE_NAMES:
                return DTYPE_NAMES[value.lower().removeprefix("torch.")]
    return "bfloat16"


def _quantization(raw: Mapping[str, Any], config: Mapping[str, Any]) -> Quantization | None:
    """``quantization_config`` (root, then text_config) or ``compression_config`` (1.12)."""
    for source in (raw, config):
        for key in ("quantization_config", "compression_config"):
            block = source.get(key)
            if isinstance(block, Mapping):
                return quantization_from_config(block)
    return None


def quantization_from_config(block: Mapping[str, Any]) -> Quantization | None:
    """Canonical quantization of one ``quantization_config`` / ``hf_quant_config.json`` mapping."""
    nested = block.get("quantization")
    if isinstance(nested, Mapping) and "quant_algo" in nested:  # ModelOpt hf_quant_config.json
        block = nested
    method = str(block.get("quant_method") or block.get("quant_algo") or block.get("format") or "").lower()
    weights = _compressed_weights(block)
    bits = as_int(block.get("bits") or block.get("w_bit") or weights.get("num_bits"))
    group = as_int(block.get("group_size") or block.get("q_group_size") or weights.get("group_size"))
    block_size = _int_list(block.get("weight_block_size"))
    scheme = _scheme(method, str(block.get("format") or ""), weights, bits, block)
    if scheme == "bitsandbytes":
        bits = 4 if block.get("load_in_4bit") else 8
        scheme = "int4" if bits == 4 else "int8"
    if bits is None:
        bits = {"fp8": 8, "int8": 8, "mxfp4": 4, "nvfp4": 4, "int4": 4}.get(scheme)
    if group is None:
        group = {"mxfp4": 32, "nvfp4": 16}.get(scheme)
    ignored = block.get("modules_to_not_convert") or block.get("ignore") or block.get("exclude_modules") or []
    attention_kept = isinstance(ignored, list) and any("attn" in str(item) for item in ignored)
    return Quantization(
        method=method or scheme or "unknown",
        bits=bits,
        weight_block_size=(block_size[0], block_size[1]) if block_size and len(block_size) == 2 else None,
        group_size=group if group and group > 0 else None,
        scheme=scheme,
        scope="experts" if attention_kept else "all",
    )


def _compressed_weights(block: Mapping[str, Any]) -> Mapping[str, Any]:
    """compressed-tensors keeps the weight scheme under config_groups.*.weights (or flat in models.json)."""
    weights = block.get("weights")
    if isinstance(weights, Mapping):
        return weights
    groups = block.get("config_groups")
    if isinstance(groups, Mapping):
        for group in groups.values():
            if isinstance(group, Mapping) and isinstance(group.get("weights"), Mapping):
                found: Mapping[str, Any] = group["weights"]
                return found
    return {}


def _scheme(method: str, fmt: str, weights: Mapping[str, Any], bits: int | None, block: Mapping[str, Any]) -> str:
    text = f"{method} {fmt}".lower()
    if "nvfp4" in text or method == "fp4":
        return "nvfp4"
    if "mxfp4" in text:
        return "mxfp4"
    if method == "bitsandbytes" or "load_in_4bit" in block or "load_in_8bit" in block:
        return "bitsandbytes"
    if re.search(r"fp8|float8|float-quantized", text) or method == "fbgemm_fp8":
        return "fp8"
    if weights:
        kind = str(weights.get("type") or "int")
        size = as_int(weights.get("num_bits")) or bits or 8
        if kind == "float" and size == 4:
            return "mxfp4" if as_int(weights.get("group_size")) == 32 else "nvfp4"
        return f"{'fp' if kind == 'float' else 'int'}{size}"
    if method in {"awq", "gptq", "marlin", "gptq_marlin", "awq_marlin", "auto-round", "hqq", "aqlm"}:
        return f"int{bits or 4}"
    if method in {"int8", "w8a8", "smoothquant"}:
        return "int8"
    return method
