"""Build ``parlint/data/catalog.json`` from ``shared/reference/models.json``.

Each models.json entry is turned back into the Hugging Face ``config.json`` keys it was read from and run
through the same normalizer that reads users' checkpoints, so the catalog and ``config.json`` resolution
can never disagree. The script checks every entry's MoE-layer count against models.json and fails loudly
when they differ.

Usage: python scripts/build_catalog.py [path/to/models.json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from parlint.linter.models.canonical import quantization_to_json, structure_to_json  # noqa: E402
from parlint.linter.models.catalog import UNQUANTIZED, quantization_from_name  # noqa: E402
from parlint.linter.models.normalize import normalize_config  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "models.json"
OUTPUT = REPO / "parlint" / "data" / "catalog.json"

TOP_LEVEL_KEYS = (
    "architectures", "num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim",
    "intermediate_size", "intermediate_size_mlp", "dense_intermediate_size", "vocab_size",
    "max_position_embeddings", "torch_dtype", "tie_word_embeddings", "num_nextn_predict_layers", "multi_query",
    "new_decoder_architecture",
)
MLA_KEYS = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
# Alias notes that say the alias does NOT share the structure.
DIFFERENT_STRUCTURE = re.compile(r"smaller|different|num_hidden_layers|model_type", re.IGNORECASE)
PLAIN_MLP_ACTIVATIONS = re.compile(r"non-gated", re.IGNORECASE)
# Entries whose structure models.json does not give in full; left out rather than guessed.
SKIPPED = {
    "nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16":
        "models.json gives only the counts of its 108 Mamba/MoE/attention blocks, not their order",
}


def model_type_of(entry: dict[str, Any]) -> str:
    text = str(entry.get("model_type") or entry.get("family") or "")
    inner = re.search(r"text(?:_config)?(?:\.model_type)?[:=]\s*([a-z0-9_]+)", text)
    if inner:
        return inner.group(1)
    return re.split(r"[\s(]", text.strip(), maxsplit=1)[0] or str(entry.get("family") or "")


def entry_to_config(entry: dict[str, Any]) -> dict[str, Any]:
    """The raw config.json keys an entry stands for."""
    config: dict[str, Any] = {"model_type": model_type_of(entry)}
    for key in TOP_LEVEL_KEYS:
        if entry.get(key) is not None:
            config[key] = entry[key]
    if config.get("num_key_value_heads") is None and entry.get("num_key_value_heads_effective"):
        config["num_key_value_heads"] = entry["num_key_value_heads_effective"]
    if isinstance(entry.get("sliding_window"), int):
        config["sliding_window"] = entry["sliding_window"]
    for key in ("layer_types", "mlp_layer_types"):
        if isinstance(entry.get(key), list):
            config[key] = entry[key]
    if PLAIN_MLP_ACTIVATIONS.search(str(entry.get("activation") or "")) or entry.get("hidden_act") == "gelu":
        config["model_type"] = "nemotron"
    if entry.get("mla"):
        config.update({key: entry["mla"][key] for key in MLA_KEYS if key in entry["mla"]})
    if entry.get("moe"):
        config.update(_moe_keys(entry["moe"]))
    if isinstance(entry.get("quantization"), dict):
        config["quantization_config"] = {k: v for k, v in entry["quantization"].items() if k != "note"}
    if isinstance(entry.get("mtp"), dict):
        config.update(entry["mtp"])
    config.update(_unmodelled_markers(entry))
    if isinstance(entry.get("hybrid"), dict):
        config.update(_hybrid_keys(entry["hybrid"], int(entry["num_hidden_layers"])))
    return config


def _unmodelled_markers(entry: dict[str, Any]) -> dict[str, Any]:
    """Keys of the real configs that the normalizer flags as not expressible in the canonical form."""
    moe, attention = entry.get("moe") or {}, entry.get("attention") or {}
    markers = {key: moe.get(key) for key in ("moe_latent_size", "routed_expert_hidden_size", "enable_moe_block")}
    markers["o_lora_rank"] = attention.get("o_lora_rank") if isinstance(attention, dict) else None
    markers["hc_mult"] = (entry.get("hyper_connections") or {}).get("hc_mult")
    markers["block_configs"] = entry.get("heterogeneous")
    return {key: value for key, value in markers.items() if value is not None}


def _moe_keys(moe: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {
        "n_routed_experts": moe["num_routed_experts"],
        "num_experts_per_tok": moe["num_experts_per_tok"],
        "moe_intermediate_size": moe["moe_intermediate_size"],
    }
    shared = moe.get("shared_experts") or 0
    if shared:
        keys["n_shared_experts"] = shared
        keys["shared_expert_intermediate_size"] = moe.get("shared_expert_intermediate_size") or (
            shared * moe["moe_intermediate_size"])
    for key in ("first_k_dense_replace", "decoder_sparse_step"):
        if isinstance(moe.get(key), int):
            keys[key] = moe[key]
    if isinstance(moe.get("moe_layer_freq"), int):
        keys["moe_layer_freq"] = moe["moe_layer_freq"]
    if isinstance(moe.get("mlp_only_layers"), list):
        keys["mlp_only_layers"] = moe["mlp_only_layers"]
    rule = str(moe.get("moe_layer_rule") or "")
    step = re.search(r"interleave_moe_layer_step=(\d+)", rule)
    if step:
        keys["interleave_moe_layer_step"] = int(step.group(1))
    period = re.search(r"expert_layer_period\((\d+)\) == expert_layer_offset\((\d+)\)", rule)
    if period:
        keys["expert_layer_period"], keys["expert_layer_offset"] = int(period.group(1)), int(period.group(2))
    if moe.get("num_dense_layers") and not any(
        key in keys for key in ("first_k_dense_replace", "interleave_moe_layer_step", "expert_layer_period")
    ) and "dense_layers" not in keys:
        keys["first_k_dense_replace"] = moe["num_dense_layers"]  # e.g. MiMo-V2-Flash: layer 0 dense
    return keys


def _hybrid_keys(hybrid: dict[str, Any], layers: int) -> dict[str, Any]:
    rule = str(hybrid.get("attention_layer_rule") or "")
    period = re.search(r"attn_layer_period\((\d+)\) == attn_layer_offset\((\d+)\)", rule)
    if period:
        return {"attn_layer_period": int(period.group(1)), "attn_layer_offset": int(period.group(2))}
    pattern = hybrid.get("pattern")
    if isinstance(pattern, str) and len(pattern) == layers:
        return {"hybrid_override_pattern": pattern}
    kind = str(hybrid.get("kind") or "").lower()
    full = hybrid.get("full_attention_layer_indices")
    if full is None and isinstance(hybrid.get("full_attn_layers_1_indexed"), list):
        full = [index - 1 for index in hybrid["full_attn_layers_1_indexed"]]
    if isinstance(full, list) and ("linear" in kind or "delta" in kind):
        return {"layer_types": ["full_attention" if i in full else "linear_attention" for i in range(layers)]}
    return {}


def alias_record(alias: str, target: str) -> dict[str, Any]:
    name, _, note = alias.partition(" (")
    record: dict[str, Any] = {"alias": name.strip(), "target": target}
    announced = quantization_from_name(name)
    if announced == UNQUANTIZED:
        record["quantization"] = None
    elif announced is not None and not isinstance(announced, str):
        record["quantization"] = quantization_to_json(announced)
    max_pos = re.search(r"max_pos(?:ition_embeddings)? (\d+)", note)
    if max_pos:
        record["max_position_embeddings"] = int(max_pos.group(1))
    return record


def build(source: Path) -> dict[str, Any]:
    entries = json.loads(source.read_text(encoding="utf-8"))
    models: dict[str, Any] = {}
    aliases: dict[str, Any] = {}
    problems: list[str] = []
    for entry in entries:
        model_id = entry["hf_id"]
        if model_id in SKIPPED:
            continue
        result = normalize_config(entry_to_config(entry), model_id=model_id, source="catalog")
        if result.structure is None:
            problems.append(f"{model_id}: not normalizable, missing {result.missing}")
            continue
        structure = result.structure
        expected = (entry.get("moe") or {}).get("num_moe_layers")
        found = len(structure.moe.moe_layers) if structure.moe else None
        if expected is not None and expected != found:
            problems.append(f"{model_id}: {found} MoE layers, models.json says {expected}")
        models[model_id.lower()] = structure_to_json(structure)
        for alias in entry.get("aliases") or []:
            if DIFFERENT_STRUCTURE.search(alias.partition(" (")[2]):
                continue
            record = alias_record(alias, model_id)
            aliases.setdefault(record["alias"].lower(), record)
    for key in list(aliases):
        if key in models:
            del aliases[key]
    if problems:
        raise SystemExit("catalog build failed:\n  " + "\n  ".join(problems))
    return {
        "generated_from": "shared/reference/models.json", "models": models, "aliases": aliases,
        "skipped": SKIPPED,
    }


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    catalog = build(source)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(catalog, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    (OUTPUT.parent / "__init__.py").touch()
    print(f"wrote {OUTPUT.relative_to(REPO)}: {len(catalog['models'])} models, {len(catalog['aliases'])} aliases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
