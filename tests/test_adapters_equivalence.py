"""One deployment written in every dialect yields the same mapping (fixtures/engines/<engine>/...).

Where engines truly differ the test says so instead of hiding it: each splits 61 layers by its own rule
(vLLM [31, 30], SGLang [30, 31], TensorRT-LLM's declared pp_partition [31, 30]); vLLM lays ranks out
"DP x PP x TP", so its stage GPU ids interleave; TensorRT-LLM and DeepSpeed configs describe one server,
so their replicas are separate processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parlint.linter.adapters import adapt
from parlint.linter.derive import derive
from parlint.linter.loader import load_text
from parlint.linter.mapping import Deployment
from parlint.linter.models.structure import ModelStructure
from tests.structures import DEEPSEEK_V3, LLAMA_3_1_70B

ENGINES = Path(__file__).resolve().parents[1] / "fixtures" / "engines"


def deployment_of(relative: str, model: ModelStructure) -> Deployment:
    path = ENGINES / relative
    [plan] = adapt(load_text(str(path), path.read_text(encoding="utf-8")))
    assert not plan.unknown_keys and not plan.invalid_values and not plan.deprecated_keys
    if plan.model is not None:
        assert plan.model.value == model.id
    return derive(plan, model)


def shape(deployment: Deployment) -> dict[str, Any]:
    """The mapping without GPU ids and layer boundaries: replicas, stage sizes, attention and MoE phases."""
    return {
        "gpus_total": deployment.gpus_total,
        "replicas": deployment.replicas,
        "stages": [
            {
                "gpus": stage.size,
                "attention": (stage.attn_tp, stage.attn_dp, stage.cp),
                "moe": None if stage.moe is None else (stage.moe.ep, stage.moe.expert_tp, stage.moe.experts_per_gpu),
            }
            for stage in deployment.stages
        ],
        "rejections": [rejection.kind for rejection in deployment.rejections],
    }


DSV3_FILES = ["vllm/deepseek-v3-pp2-ep8.yaml", "sglang/deepseek-v3-pp2-ep8.yaml",
              "trtllm/deepseek-v3-pp2-ep8.yaml", "parlint/deepseek-v3-pp2-ep8.yaml"]


@pytest.mark.parametrize("relative", DSV3_FILES)
def test_deepseek_v3_two_stages_of_8_gpu_ep_groups(relative: str) -> None:
    deployment = deployment_of(relative, DEEPSEEK_V3)
    stage = {"gpus": 8, "attention": (1, 8, 1), "moe": (8, 1, (32, 32))}
    assert shape(deployment) == {"gpus_total": 16, "replicas": 1, "stages": [stage, stage], "rejections": []}
    layers = [stage.layers for stage in deployment.stages]
    expected = [(0, 30), (30, 61)] if relative.startswith("sglang") else [(0, 31), (31, 61)]
    assert layers == expected
    gpus = sorted(gpu for stage in deployment.stages for gpu in stage.gpus)
    assert gpus == list(range(16))


def test_vllm_interleaves_stage_gpus_by_its_rank_layout() -> None:
    deployment = deployment_of("vllm/deepseek-v3-pp2-ep8.yaml", DEEPSEEK_V3)
    assert deployment.stages[0].gpus == (0, 2, 4, 6, 8, 10, 12, 14)
    sglang = deployment_of("sglang/deepseek-v3-pp2-ep8.yaml", DEEPSEEK_V3)
    assert sglang.stages[0].gpus == tuple(range(8))


LLAMA_FILES = ["vllm/llama70b-tp4-dp2.yaml", "sglang/llama70b-tp4-dp2.yaml", "mii/llama70b-tp4-replicas2.yaml",
               "parlint/llama70b-tp4-replicas2.yaml"]


@pytest.mark.parametrize("relative", LLAMA_FILES)
def test_llama70b_tp4_two_replicas_is_identical_everywhere(relative: str) -> None:
    deployment = deployment_of(relative, LLAMA_3_1_70B)
    [stage] = deployment.stages
    assert (deployment.replicas, deployment.gpus_total) == (2, 8)
    assert (stage.layers, stage.gpus, stage.attn_tp, stage.attn_dp, stage.ffn_tp, stage.moe) == (
        (0, 80), (0, 1, 2, 3), 4, 1, 4, None)
    assert not deployment.rejections


@pytest.mark.parametrize("relative", ["trtllm/llama70b-tp4.yaml", "deepspeed/llama70b-tp4.json"])
def test_single_server_dialects_describe_one_replica(relative: str) -> None:
    deployment = deployment_of(relative, LLAMA_3_1_70B)
    [stage] = deployment.stages
    assert (deployment.replicas, stage.layers, stage.gpus, stage.attn_tp) == (1, (0, 80), (0, 1, 2, 3), 4)


def test_every_engine_fixture_is_detected_as_its_engine() -> None:
    for path in sorted(ENGINES.rglob("*")):
        if path.is_file():
            [plan] = adapt(load_text(str(path), path.read_text(encoding="utf-8")))
            assert plan.engine == path.parent.name, path
