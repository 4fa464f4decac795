"""The built-in catalog: every models.json entry resolves by id, aliases share structure, totals match."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from parlint.linter.models.catalog import catalog_ids, lookup, stem
from parlint.linter.models.resolve import resolve_model

SHARED = Path(__file__).parents[1].parent / "shared" / "reference" / "models.json"
UNIT = {"M": 1e6, "B": 1e9, "T": 1e12}
# Left out of the generated catalog (see SKIPPED in scripts/build_catalog.py).
NOT_IN_CATALOG = {"nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16"}
# Published totals that are a rounded marketing size rather than a count, with the true size:
# Phi-4's card says "14B" for 14.7B weights.
ROUNDED_TOTALS = {"microsoft/phi-4"}


def models_json() -> list[dict[str, Any]]:
    if not SHARED.is_file():
        pytest.skip("shared/reference/models.json is not available")
    entries: list[dict[str, Any]] = json.loads(SHARED.read_text())
    return entries


def published_total(entry: dict[str, Any]) -> float | None:
    """The numeric published total; None when it is not a count.

    Skipped: figures that only name a size class ("7B class", "671B-class": Mistral-7B-v0.3,
    DeepSeek-V3.2), absent figures (DeepSeek-V4-Pro, Kimi-K3, MiniMax-M3, GLM-5, GLM-5.2, GLM-4.7-Flash,
    Step-3.7-Flash), and figures whose source is only the model's name (Llama-3.2-1B is 1.24B, Qwen2-7B is
    7.6B, DeepSeek-R1-Distill-Qwen-1.5B is 1.78B...). "16B (15.7B)" uses the precise figure in parentheses.
    """
    published = entry.get("params_published") or {}
    text, source = published.get("total"), str(published.get("source") or "")
    if not isinstance(text, str) or "class" in text or source.startswith("model name"):
        return None
    match = re.match(r"^~?(\d+(?:\.\d+)?)([MBT])\b(?:\s*\((\d+(?:\.\d+)?)([MBT])\))?", text)
    if not match:
        return None
    if match.group(3):
        return float(match.group(3)) * UNIT[match.group(4)]
    return float(match.group(1)) * UNIT[match.group(2)]


def test_every_entry_resolves_by_id_in_any_case() -> None:
    for entry in models_json():
        if entry["hf_id"] in NOT_IN_CATALOG:
            continue
        for spelling in (entry["hf_id"], entry["hf_id"].upper(), entry["hf_id"].lower()):
            resolution = resolve_model(spelling)
            assert resolution.structure is not None, spelling
            assert resolution.source == "catalog"
            assert resolution.structure.num_layers == entry["num_hidden_layers"]
            assert resolution.structure.hidden_size == entry["hidden_size"]
            assert resolution.structure.vocab_size == entry["vocab_size"]


def test_moe_layer_counts_match_models_json() -> None:
    for entry in models_json():
        if not entry.get("moe") or entry["hf_id"] in NOT_IN_CATALOG:
            continue
        hit = lookup(entry["hf_id"])
        assert hit is not None and hit.structure.moe is not None
        assert len(hit.structure.moe.moe_layers) == entry["moe"]["num_moe_layers"], entry["hf_id"]
        assert hit.structure.moe.experts == entry["moe"]["num_routed_experts"]


def test_param_totals_within_three_percent_of_published() -> None:
    checked = 0
    for entry in models_json():
        expected = published_total(entry)
        hit = lookup(entry["hf_id"])
        if expected is None or hit is None or entry["hf_id"].lower() in ROUNDED_TOTALS:
            continue
        if hit.structure.unmodelled:  # Mamba / latent-MoE weights are outside the canonical form
            continue
        assert abs(hit.structure.params_total / expected - 1) <= 0.03, (entry["hf_id"], hit.structure.params_total)
        checked += 1
    assert checked >= 40


def test_param_totals_match_models_json_cross_check() -> None:
    for entry in models_json():
        derived = (entry.get("derived_params") or {}).get("total")
        hit = lookup(entry["hf_id"])
        if not derived or hit is None or hit.structure.unmodelled:
            continue
        assert abs(hit.structure.params_total / derived - 1) <= 0.02, entry["hf_id"]


def test_deepseek_v3_active_params() -> None:
    hit = lookup("deepseek-ai/DeepSeek-V3")
    assert hit is not None
    assert abs(hit.structure.params_active / 37e9 - 1) < 0.03
    assert abs(hit.structure.params_total / 671e9 - 1) < 0.01


@pytest.mark.parametrize("alias, target", [
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-70B"),
    ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B"),
    ("Qwen/Qwen3-30B-A3B-FP8", "Qwen/Qwen3-30B-A3B"),
    ("Qwen/Qwen2.5-72B-Instruct-AWQ", "Qwen/Qwen2.5-72B"),
    ("deepseek-ai/DeepSeek-V3-0324", "deepseek-ai/DeepSeek-V3"),
    ("TheBloke/Llama-2-7B-Chat-AWQ", "meta-llama/Llama-2-7b-hf"),
    ("meta-llama/Llama-2-70b-chat-hf", "meta-llama/Llama-2-70b-hf"),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x7B-v0.1"),
])
def test_variants_share_structure(alias: str, target: str) -> None:
    variant, base = lookup(alias), lookup(target)
    assert variant is not None and base is not None
    assert variant.structure.id == alias
    assert variant.structure.attention == base.structure.attention
    assert variant.structure.moe == base.structure.moe
    assert variant.structure.params_total == base.structure.params_total


def test_deepseek_r1_has_v3_structure() -> None:
    r1, v3 = lookup("deepseek-ai/DeepSeek-R1"), lookup("deepseek-ai/DeepSeek-V3")
    assert r1 is not None and v3 is not None
    assert (r1.structure.attention, r1.structure.moe) == (v3.structure.attention, v3.structure.moe)


def test_quantized_reuploads_change_only_quantization() -> None:
    awq = lookup("Qwen/Qwen2.5-72B-Instruct-AWQ")
    fp8 = lookup("Qwen/Qwen3-30B-A3B-FP8")
    base = lookup("Qwen/Qwen3-30B-A3B")
    nvfp4 = lookup("nvidia/DeepSeek-V3.1-NVFP4")
    assert awq is not None and fp8 is not None and base is not None and nvfp4 is not None
    assert awq.structure.quantization is not None and awq.structure.quantization.bits == 4
    assert fp8.structure.quantization is not None and fp8.structure.quantization.weight_block_size == (128, 128)
    assert base.structure.quantization is None
    assert nvfp4.structure.quantization is not None and nvfp4.structure.quantization.scheme == "nvfp4"
    # GLM FP8 uploads are channel-wise compressed-tensors: no 128-wide blocks for TP to respect.
    glm = lookup("zai-org/GLM-4.5-Air-FP8")
    assert glm is not None and glm.structure.quantization is not None
    assert (glm.structure.quantization.method, glm.structure.quantization.weight_block_size) == ("compressed-tensors",
                                                                                                  None)


def test_alias_with_different_structure_is_not_listed() -> None:
    assert lookup("microsoft/phi-1_5") is None


def test_stem_strips_variant_markers() -> None:
    assert stem("meta-llama/Meta-Llama-3.1-70B-Instruct") == "meta-llama/llama-3.1-70b"
    assert stem("Qwen/Qwen3-8B-FP8") == "qwen/qwen3-8b"


def test_catalog_ids_are_unique_and_cover_models_json() -> None:
    ids = catalog_ids()
    assert len(ids) == len({item.lower() for item in ids})
    assert {entry["hf_id"] for entry in models_json()} - set(ids) == NOT_IN_CATALOG


def test_unknown_model_is_not_found() -> None:
    assert lookup("acme/definitely-not-a-model-7B") is None
    assert lookup("") is None


def test_every_catalog_model_resolves_from_a_raw_config_json(tmp_path: Path) -> None:
    """Each models.json entry written back as the Hugging Face ``config.json`` of its family (the keys it was
    read from) resolves, as a local model directory, to exactly the shipped catalog structure: the catalog
    and ``config.json`` resolution agree for every model, and the shipped catalog is not stale."""
    import sys

    from parlint.linter.models.canonical import structure_to_json

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    try:
        from build_catalog import entry_to_config
    finally:
        sys.path.pop(0)
    checked = 0
    for entry in models_json():
        if entry["hf_id"] in NOT_IN_CATALOG:
            continue
        directory = tmp_path / entry["hf_id"].replace("/", "--")
        directory.mkdir()
        (directory / "config.json").write_text(json.dumps(entry_to_config(entry)))
        from_file = resolve_model(str(directory))
        hit = lookup(entry["hf_id"])
        assert from_file.structure is not None and hit is not None, entry["hf_id"]
        ignore = {"id", "source"}
        resolved = {key: value for key, value in structure_to_json(from_file.structure).items() if key not in ignore}
        shipped = {key: value for key, value in structure_to_json(hit.structure).items() if key not in ignore}
        assert resolved == shipped, entry["hf_id"]
        checked += 1
    assert checked >= 130
