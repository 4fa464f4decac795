"""The normalizer reads each family's real config.json keys into the same structure as the catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parlint.linter.models.catalog import lookup
from parlint.linter.models.normalize import normalize_config
from parlint.linter.models.structure import ModelStructure

CONFIGS = Path(__file__).parent / "data" / "model_configs"
CONFIG_FILES = sorted(CONFIGS.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFIGS / f"{name}.json").read_text())
    return data


def shape(model: ModelStructure) -> dict[str, Any]:
    """The structural facts a raw config and the catalog must agree on."""
    return {
        "num_layers": model.num_layers,
        "hidden_size": model.hidden_size,
        "vocab_size": model.vocab_size,
        "tie": model.tie_word_embeddings,
        "attention": (
            model.attention.kind, model.attention.heads, model.attention.kv_heads, model.attention.head_dim,
            model.attention.kv_lora_rank, model.attention.q_lora_rank, model.attention.qk_rope_head_dim,
            model.attention.v_head_dim,
        ),
        "intermediate_size": model.intermediate_size,
        "moe": model.moe,
        "mtp_layers": model.mtp_layers,
        "ffn_gated": model.ffn_gated,
        "non_attention_layers": model.non_attention_layers,
        "params": (model.params_total, model.params_active),
    }


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda path: path.stem)
def test_raw_config_matches_catalog(path: Path) -> None:
    raw = json.loads(path.read_text())
    model_id = raw["_name_or_path"]
    result = normalize_config(raw, model_id=model_id)
    assert result.structure is not None, result.missing
    assert result.missing == []
    hit = lookup(model_id)
    assert hit is not None, f"{model_id} not in catalog"
    assert shape(result.structure) == shape(hit.structure)
    if result.structure.quantization and hit.structure.quantization:
        assert result.structure.quantization.scheme == hit.structure.quantization.scheme
        assert result.structure.quantization.bits == hit.structure.quantization.bits


def test_deepseek_v3_mla_moe_placement_and_quantization() -> None:
    model = normalize_config(load("deepseek-v3"), "deepseek-ai/DeepSeek-V3").structure
    assert model is not None and model.moe is not None
    assert model.attention.kind == "mla"
    assert model.attention.kv_heads_for_tp == 1
    assert (model.attention.kv_lora_rank, model.attention.qk_rope_head_dim) == (512, 64)
    assert model.moe.dense_layers == (0, 1, 2)
    assert model.moe.moe_layers == tuple(range(3, 61))
    assert (model.moe.shared_experts, model.moe.shared_intermediate_size) == (1, 2048)
    assert model.mtp_layers == 1
    assert model.quantization is not None
    assert model.quantization.weight_block_size == (128, 128)
    assert model.quantization.scheme == "fp8"


def test_deepseek_v2_lite_full_query_projection() -> None:
    model = normalize_config(load("deepseek-v2-lite")).structure
    assert model is not None and model.moe is not None
    assert model.attention.q_lora_rank is None
    assert (model.moe.shared_experts, model.moe.shared_intermediate_size) == (2, 1408)
    assert len(model.moe.moe_layers) == 26


def test_llama4_maverick_interleaved_moe_and_dense_width() -> None:
    model = normalize_config(load("llama-4-maverick")).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_layers == tuple(range(1, 48, 2))
    assert model.moe.dense_layers == tuple(range(0, 48, 2))
    assert model.intermediate_size == 16384
    assert (model.moe.moe_intermediate_size, model.moe.shared_experts) == (8192, 1)
    assert model.architecture == "Llama4ForConditionalGeneration"


def test_explicit_moe_layers_list_wins_over_step() -> None:
    raw = load("llama-4-scout")
    raw["text_config"] = dict(raw["text_config"], moe_layers=[0, 5, 7])
    model = normalize_config(raw).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_layers == (0, 5, 7)


def test_qwen_moe_sparse_step_and_mlp_only_layers() -> None:
    raw = dict(load("qwen3-30b-a3b"), decoder_sparse_step=2, mlp_only_layers=[3])
    model = normalize_config(raw).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_layers == tuple(i for i in range(48) if (i + 1) % 2 == 0 and i != 3)
    assert model.attention.heads * model.attention.head_dim == 4096 != model.hidden_size


def test_deepseek_moe_layer_freq() -> None:
    raw = dict(load("deepseek-v2-lite"), moe_layer_freq=2)
    model = normalize_config(raw).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_layers == tuple(i for i in range(1, 27) if i % 2 == 0)


def test_jamba_expert_and_attention_periods() -> None:
    model = normalize_config(load("jamba-v0.1")).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_layers == tuple(range(1, 32, 2))
    assert model.attention_layers == (4, 12, 20, 28)


def test_falcon_legacy_multi_query_and_defaults() -> None:
    model = normalize_config(load("falcon-7b")).structure
    assert model is not None
    assert (model.attention.kind, model.attention.kv_heads, model.attention.head_dim) == ("mqa", 1, 64)
    assert model.intermediate_size == 4 * 4544
    assert model.tie_word_embeddings and not model.ffn_gated


def test_gemma3_text_config_defaults_and_sliding_layers() -> None:
    model = normalize_config(load("gemma-3-27b")).structure
    assert model is not None
    assert model.vocab_size == 262208
    assert model.max_position_embeddings == 131072
    assert model.tie_word_embeddings
    assert model.attention.sliding_window == 1024
    assert 5 not in model.attention.sliding_window_layers and 4 in model.attention.sliding_window_layers


def test_gpt_oss_layer_types_and_mxfp4_experts_only() -> None:
    model = normalize_config(load("gpt-oss-120b")).structure
    assert model is not None and model.quantization is not None
    assert model.attention.sliding_window_layers == tuple(range(0, 36, 2))
    assert (model.quantization.scheme, model.quantization.scope, model.quantization.group_size) == (
        "mxfp4", "experts", 32)
    assert model.dtype == "bfloat16"


def test_dbrx_nested_keys() -> None:
    model = normalize_config(load("dbrx")).structure
    assert model is not None and model.moe is not None
    assert (model.attention.kv_heads, model.moe.experts, model.moe.experts_per_token) == (8, 16, 4)
    assert model.moe.moe_intermediate_size == 10752
    assert model.max_position_embeddings == 32768


def test_grok_jax_keys() -> None:
    model = normalize_config(load("grok-1")).structure
    assert model is not None and model.moe is not None
    assert model.moe.moe_intermediate_size == 32768
    assert (model.attention.heads, model.attention.kv_heads, model.moe.experts_per_token) == (48, 8, 2)


def test_command_r_model_max_length_overrides() -> None:
    model = normalize_config(load("command-r-plus")).structure
    assert model is not None
    assert model.max_position_embeddings == 131072
    assert model.tie_word_embeddings
    assert model.dtype == "float16"


def test_awq_bits_and_group_size() -> None:
    model = normalize_config(load("llama-3.1-70b-awq")).structure
    assert model is not None and model.quantization is not None
    assert (model.quantization.method, model.quantization.bits, model.quantization.group_size) == ("awq", 4, 128)


def test_minimax_mtp_modules() -> None:
    model = normalize_config(load("minimax-m2.5")).structure
    assert model is not None and model.moe is not None
    assert model.mtp_layers == 3
    assert model.moe.shared_experts == 0


def test_compressed_tensors_int4_experts() -> None:
    raw = dict(load("kimi-k2"))
    raw["quantization_config"] = {
        "quant_method": "compressed-tensors", "format": "pack-quantized",
        "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
            "num_bits": 4, "type": "int", "symmetric": True, "strategy": "group", "group_size": 32}}},
        "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*"],
    }
    model = normalize_config(raw).structure
    assert model is not None and model.quantization is not None
    assert (model.quantization.scheme, model.quantization.group_size, model.quantization.scope) == (
        "int4", 32, "experts")


def test_meta_params_json_ffn_width() -> None:
    raw = {"dim": 8192, "n_layers": 80, "n_heads": 64, "n_kv_heads": 8, "vocab_size": 128256,
           "ffn_dim_multiplier": 1.3, "multiple_of": 4096, "norm_eps": 1e-05, "rope_theta": 500000.0}
    model = normalize_config(raw).structure
    assert model is not None
    assert model.intermediate_size == 28672
    assert model.attention.kind == "gqa"


@pytest.mark.parametrize("raw, missing", [
    ({}, {"num_layers", "hidden_size", "vocab_size", "attention.heads", "ffn.intermediate_size"}),
    ({"num_hidden_layers": "many", "hidden_size": 4096, "num_attention_heads": 32},
     {"num_layers", "vocab_size", "ffn.intermediate_size"}),
    ({"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10},
     {"ffn.intermediate_size"}),
    ({"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10,
      "intermediate_size": 128, "kv_lora_rank": 16}, {"attention.qk_rope_head_dim", "attention.qk_nope_head_dim",
                                                     "attention.v_head_dim"}),
])
def test_partial_configs_name_missing_fields(raw: dict[str, Any], missing: set[str]) -> None:
    result = normalize_config(raw)
    assert set(result.missing) == missing


def test_partial_config_keeps_what_it_read() -> None:
    result = normalize_config({"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10})
    assert result.structure is not None
    assert result.structure.num_layers == 2
    assert result.structure.missing == ("ffn.intermediate_size",)


@pytest.mark.parametrize("raw", [None, [], "text", 3, {"text_config": 5}, {"num_hidden_layers": None},
                                 {"quantization_config": "fp8", "num_hidden_layers": 1},
                                 {"moe_layer_freq": [1, "x"], "n_routed_experts": "8"}])
def test_garbage_never_raises(raw: Any) -> None:
    result = normalize_config(raw)
    assert result.structure is None
    assert result.missing
