"""Offline resolution order: explicit config, models mapping, local path, Hugging Face cache, catalog."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parlint.linter.models.resolve import clear_cache, resolve_model

CONFIGS = Path(__file__).parent / "data" / "model_configs"


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    clear_cache()
    yield
    clear_cache()


def fake_hub(root: Path, repo: str, config: Path, revision: str = "abc123") -> Path:
    snapshot = root / f"models--{repo.replace('/', '--')}" / "snapshots" / revision
    snapshot.mkdir(parents=True)
    shutil.copy(config, snapshot / "config.json")
    return snapshot / "config.json"


def test_hf_hub_cache_config_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    raw = json.loads((CONFIGS / "qwen3-8b.json").read_text())
    raw["num_hidden_layers"] = 7  # differs from the catalog, so the cache is provably the source
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps(raw))
    path = fake_hub(hub, "acme/private-qwen", custom)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    resolution = resolve_model("acme/private-qwen")
    assert resolution.structure is not None
    assert resolution.source == f"hf-cache:{path}"
    assert resolution.structure.num_layers == 7


def test_hf_cache_prefers_refs_main_then_newest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    old = fake_hub(hub, "acme/m", CONFIGS / "llama-3.1-8b.json", "old")
    new = fake_hub(hub, "acme/m", CONFIGS / "qwen3-8b.json", "new")
    os.utime(old, (time.time() - 1000, time.time() - 1000))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    assert resolve_model("acme/m").source == f"hf-cache:{new}"
    (hub / "models--acme--m" / "refs").mkdir()
    (hub / "models--acme--m" / "refs" / "main").write_text("old")
    clear_cache()
    assert resolve_model("acme/m").source == f"hf-cache:{old}"


def test_hf_home_hub_is_used_without_hf_hub_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_hub(tmp_path / "home" / "hub", "acme/other", CONFIGS / "mixtral-8x7b.json")
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    resolution = resolve_model("acme/other")
    assert resolution.source.startswith("hf-cache:")
    assert resolution.structure is not None and resolution.structure.is_moe


def test_hf_cache_wins_over_catalog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_hub(tmp_path / "hub", "Qwen/Qwen3-8B", CONFIGS / "qwen3-8b.json")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert resolve_model("Qwen/Qwen3-8B").source.startswith("hf-cache:")


def test_model_config_flag_wins(tmp_path: Path) -> None:
    resolution = resolve_model("Qwen/Qwen3-8B", model_config=str(CONFIGS / "mixtral-8x7b.json"))
    assert resolution.source == f"config:{CONFIGS / 'mixtral-8x7b.json'}"
    assert resolution.structure is not None and resolution.structure.id == "Qwen/Qwen3-8B"
    assert resolution.structure.is_moe


def test_models_map_accepts_file_or_directory_relative_to_config(tmp_path: Path) -> None:
    model_dir = tmp_path / "weights" / "m"
    model_dir.mkdir(parents=True)
    shutil.copy(CONFIGS / "olmoe-1b-7b.json", model_dir / "config.json")
    resolution = resolve_model("my/model", config_dir=str(tmp_path), models_map={"My/Model": "weights/m"})
    assert resolution.source == f"config:{model_dir / 'config.json'}"
    assert resolution.structure is not None and resolution.structure.num_layers == 16


def test_missing_explicit_config_explains(tmp_path: Path) -> None:
    resolution = resolve_model("x/y", model_config=str(tmp_path / "nope.json"))
    assert resolution.structure is None
    assert "does not exist" in resolution.message and "--model-config" in resolution.message


def test_local_directory_relative_to_config_dir_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cfg" / "models" / "local").mkdir(parents=True)
    shutil.copy(CONFIGS / "dbrx.json", tmp_path / "cfg" / "models" / "local" / "config.json")
    resolution = resolve_model("models/local", config_dir=str(tmp_path / "cfg"))
    assert resolution.source.startswith("local:") and resolution.structure is not None
    monkeypatch.chdir(tmp_path / "cfg")
    clear_cache()
    assert resolve_model("./models/local").source.startswith("local:")


def test_unreadable_local_config_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    resolution = resolve_model(str(broken))
    assert resolution.structure is None
    assert "cannot read" in resolution.message


def test_incomplete_config_reports_missing_fields(tmp_path: Path) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"num_hidden_layers": 4, "hidden_size": 64}))
    resolution = resolve_model(str(partial))
    assert resolution.structure is None
    assert set(resolution.missing) >= {"vocab_size", "attention.heads"}
    assert "vocab_size" in resolution.message


def test_modelopt_quant_config_next_to_config(tmp_path: Path) -> None:
    shutil.copy(CONFIGS / "llama-3.1-8b.json", tmp_path / "config.json")
    (tmp_path / "hf_quant_config.json").write_text(json.dumps(
        {"producer": {"name": "modelopt"}, "quantization": {"quant_algo": "NVFP4", "group_size": 16}}))
    resolution = resolve_model(str(tmp_path))
    assert resolution.structure is not None and resolution.structure.quantization is not None
    assert resolution.structure.quantization.scheme == "nvfp4"


def test_catalog_fallback_and_unknown_model() -> None:
    assert resolve_model("deepseek-ai/DeepSeek-V3").source == "catalog"
    unknown = resolve_model("acme/unknown-model")
    assert unknown.structure is None and unknown.source == ""
    assert "acme/unknown-model" in unknown.message and "--model-config" in unknown.message
    assert "HF" in unknown.message or "Hugging Face" in unknown.message


def test_results_are_cached() -> None:
    assert resolve_model("Qwen/Qwen3-8B") is resolve_model("Qwen/Qwen3-8B")
