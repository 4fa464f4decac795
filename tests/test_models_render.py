"""``parlint model`` output: canonical JSON validates against the schema and round-trips."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from parlint.linter.models.canonical import structure_from_json, structure_to_json
from parlint.linter.models.catalog import catalog_ids, lookup
from parlint.linter.models.render import render_model
from parlint.linter.models.resolve import Resolution, resolve_model


def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("parlint.schemas").joinpath("model.schema.json").read_text())
    return data


def test_every_catalog_entry_validates_and_round_trips() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for model_id in catalog_ids():
        hit = lookup(model_id)
        assert hit is not None
        data = structure_to_json(hit.structure)
        validator.validate(data)
        assert structure_from_json(data, source="catalog") == hit.structure


@pytest.mark.parametrize("model_id", ["deepseek-ai/DeepSeek-V3", "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
                                      "openai/gpt-oss-120b", "Qwen/Qwen2.5-72B-Instruct-AWQ"])
def test_json_output_validates(model_id: str) -> None:
    output = json.loads(render_model(resolve_model(model_id), "json"))
    jsonschema.validate(output, schema())
    assert output["resolution"]["source"] == "catalog"
    assert output["weight_bytes"] > 0


def test_text_output_names_source_counts_and_bytes() -> None:
    text = render_model(resolve_model("deepseek-ai/DeepSeek-V3"), "text")
    assert "resolved from: catalog" in text
    assert "attention: MLA, 128 heads" in text
    assert "MoE layers: 3-60; dense layers: 0-2" in text
    assert "parameters: 671.03B total, 37.55B active" in text
    assert "weights: 673.2 GB" in text
    assert "fp8" in text and "blocks 128x128" in text


def test_unresolved_renders_explanation() -> None:
    unresolved = Resolution(None, message="model 'x/y' is not known")
    assert "not known" in render_model(unresolved, "text")
    assert json.loads(render_model(unresolved, "json"))["error"] == "model-unresolved"
