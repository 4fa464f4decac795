"""`parlint show`: the text tree and the JSON of each deployment's structural mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parlint.linter.adapters import adapt
from parlint.linter.config import Settings
from parlint.linter.derive import derive
from parlint.linter.loader import load_text
from parlint.linter.mapping import Deployment
from parlint.linter.runner import RunOptions, show_deployments
from parlint.linter.show import gpu_ranges, render_show
from tests.structures import DEEPSEEK_V3, LLAMA_3_1_70B

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def deployment(text: str, model: object) -> Deployment:
    [plan] = adapt(load_text("serve.yaml", text))
    return derive(plan, model, gpus_per_node=8)  # type: ignore[arg-type]


def test_text_tree_for_wide_ep() -> None:
    text = render_show([deployment("model: deepseek-ai/DeepSeek-V3\ndata-parallel-size: 8\n"
                                   "enable-expert-parallel: true\n", DEEPSEEK_V3)], "text")
    lines = text.splitlines()
    assert lines[0] == "serve.yaml:1:1: vllm (vllm-config-yaml) deepseek-ai/DeepSeek-V3"
    assert lines[1] == "  GPUs: 8 in all = 1 replica x 8 per replica (1 node of 8 GPUs)"
    assert "    stage 0: layers [0, 61) (61 layers), GPUs 0-7 (8)" in lines
    assert "      attention: TP 1 x DP 8 x CP 1" in lines
    assert "      MoE: EP 8 x expert TP 1, 32 experts per GPU" in lines
    assert any("product of all degrees is 64" in line for line in lines)


def test_text_tree_names_replicas_sliced_experts_and_rejections() -> None:
    dense = render_show([deployment("model: m\ntensor-parallel-size: 4\ndata-parallel-size: 2\n", LLAMA_3_1_70B)],
                        "text")
    assert "GPUs: 8 in all = 2 replicas x 4 per replica" in dense and "replica 0 (x2, identical copies)" in dense
    sliced = render_show([deployment("model: m\ntensor-parallel-size: 8\nenable-eplb: true\n", DEEPSEEK_V3)], "text")
    assert "every GPU holds a 1/8 slice of all 256 experts" in sliced
    assert "- vllm-eplb-without-ep: enable_expert_parallel must be True to use EPLB." in sliced


def test_json_shape() -> None:
    data = json.loads(render_show([deployment("model: deepseek-ai/DeepSeek-V3\ntensor-parallel-size: 2\n"
                                              "pipeline-parallel-size: 4\nenable-expert-parallel: true\n",
                                              DEEPSEEK_V3)], "json"))
    [item] = data["deployments"]
    assert item["engine"] == "vllm" and item["model"] == "deepseek-ai/DeepSeek-V3"
    assert item["source"] == {"file": "serve.yaml", "range": {"start": {"line": 1, "column": 1},
                                                               "end": {"line": 5, "column": 1}}}
    assert (item["gpus_total"], item["gpus_per_replica"], item["replicas"]) == (8, 8, 1)
    assert [stage["layers"] for stage in item["stages"]] == [[0, 15], [15, 30], [30, 46], [46, 61]]
    first = item["stages"][0]
    assert first["gpus"] == [0, 1] and first["attention"]["tp"] == 2 and first["ffn"] == {"tp": 2}
    assert first["moe"] == {"ep": 2, "tp": 1, "experts_per_gpu": 128, "redundant_experts": 0}


def test_empty() -> None:
    assert json.loads(render_show([], "json")) == {"deployments": []}
    assert "no deployment" in render_show([], "text")


def test_gpu_ranges() -> None:
    assert gpu_ranges([0, 1, 2, 3, 8, 9, 11]) == "0-3, 8-9, 11"
    assert gpu_ranges([]) == "none declared"


# A fixture directory's .parlint.yaml is configuration for the files below it, not a deployment file.
ALL_FIXTURES = sorted(path for path in FIXTURES.rglob("*")
                      if path.is_file() and path.name not in (".parlint.yaml", ".parlint.yml"))


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_show_works_on_every_fixture(path: Path) -> None:
    deployments = show_deployments(str(path), Settings(root=str(FIXTURES)), RunOptions())
    for fmt in ("text", "json"):
        assert render_show(deployments, fmt)
    if "engines" in path.parts or "good" in path.parts:
        assert deployments, f"{path} should hold a deployment"
