"""derive(): each engine's documented arithmetic (frameworks.md §1-§4, structural-model.md §2-§3)."""

from __future__ import annotations

from typing import Any

from parlint.linter.derive import derive, sglang_split, trtllm_split, vllm_split
from parlint.linter.diagnostics import Range
from parlint.linter.mapping import Deployment
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced
from tests.structures import DEEPSEEK_V3, LLAMA_3_1_70B

WHERE = Range.of(1, 1, 1, 2)


def plan(engine: str, **settings: Any) -> DeclaredPlan:
    declared = DeclaredPlan(engine, "plan.yaml", WHERE)
    for name, value in settings.items():
        declared.settings[name] = Sourced(value, "plan.yaml", WHERE, name)
    return declared


def build(engine: str, model: ModelStructure | None, **settings: Any) -> Deployment:
    return derive(plan(engine, **settings), model)


def kinds(deployment: Deployment) -> set[str]:
    return {rejection.kind for rejection in deployment.rejections}


def test_split_rules_differ_per_engine() -> None:
    assert vllm_split(61, 4) == [15, 15, 16, 15]
    assert vllm_split(10, 4) == [2, 3, 3, 2]
    assert sglang_split(61, 4) == [15, 15, 15, 16]
    assert trtllm_split(61, 4) == [16, 15, 15, 15]
    assert vllm_split(3, 4) == [1, 1, 1, 0]


def test_vllm_dp8_ep_on_deepseek_v3_is_one_ep_group_of_8() -> None:
    deployment = build("vllm", DEEPSEEK_V3, dp=8, enable_ep=True)
    assert deployment.gpus_total == 8 and deployment.replicas == 1
    [stage] = deployment.stages
    assert stage.layers == (0, 61) and stage.gpus == tuple(range(8))
    assert (stage.attn_tp, stage.attn_dp) == (1, 8)
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (8, 1)
    assert stage.moe.experts_per_gpu == (32, 32)
    assert deployment.degree_product == 64 and not deployment.rejections


def test_vllm_tp8_without_ep_tp_shards_experts() -> None:
    [stage] = build("vllm", DEEPSEEK_V3, tp=8).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (1, 8)


def test_vllm_dense_dp_is_replicas() -> None:
    deployment = build("vllm", LLAMA_3_1_70B, tp=4, dp=2)
    assert (deployment.replicas, deployment.gpus_per_replica, deployment.gpus_total) == (2, 4, 8)
    assert deployment.stages[0].moe is None


def test_vllm_pp4_on_61_layers() -> None:
    deployment = build("vllm", DEEPSEEK_V3, tp=2, pp=4)
    assert [stage.layers for stage in deployment.stages] == [(0, 15), (15, 30), (30, 46), (46, 61)]
    assert deployment.stages[1].gpus == (2, 3)
    assert deployment.gpus_total == 8


def test_vllm_pp_with_dp_moe_rank_layout() -> None:
    deployment = build("vllm", DEEPSEEK_V3, dp=2, tp=4, pp=2, enable_ep=True)
    assert deployment.stages[0].gpus == (0, 1, 2, 3, 8, 9, 10, 11)
    assert deployment.stages[1].gpus == (4, 5, 6, 7, 12, 13, 14, 15)
    assert deployment.gpus_total == 16


def test_vllm_uneven_experts_allowed_without_eplb() -> None:
    [stage] = build("vllm", DEEPSEEK_V3, tp=6, enable_ep=True).stages
    assert stage.moe is not None and stage.moe.experts_per_gpu == (42, 43)


def test_vllm_redundant_experts_and_eplb() -> None:
    deployment = build("vllm", DEEPSEEK_V3, tp=8, dp=2, enable_ep=True, eplb=True, redundant_experts=32)
    moe = deployment.stages[0].moe
    assert moe is not None and moe.experts_per_gpu == (18, 18) and moe.redundant_experts == 32
    uneven = build("vllm", DEEPSEEK_V3, tp=6, enable_ep=True, eplb=True)
    assert "vllm-eplb-uneven-experts" in kinds(uneven)
    assert "EPLB currently only supports even distribution" in uneven.rejections[0].message


def test_vllm_rejections() -> None:
    assert "vllm-eplb-without-ep" in kinds(build("vllm", DEEPSEEK_V3, tp=8, eplb=True))
    assert "vllm-redundant-without-eplb" in kinds(build("vllm", DEEPSEEK_V3, tp=8, enable_ep=True,
                                                        redundant_experts=8))
    assert "vllm-dcp-not-dividing-tp" in kinds(build("vllm", DEEPSEEK_V3, tp=8, dcp=3))
    assert "vllm-dcp-with-pcp" in kinds(build("vllm", DEEPSEEK_V3, tp=4, cp=2, dcp=4))
    assert "vllm-world-not-divisible-by-nnodes" in kinds(build("vllm", LLAMA_3_1_70B, tp=6, nnodes=4))
    assert "vllm-dp-local-exceeds-dp" in kinds(build("vllm", LLAMA_3_1_70B, dp=2, dp_local=4))
    assert "vllm-ep-on-dense-model" in kinds(build("vllm", LLAMA_3_1_70B, tp=8, enable_ep=True))
    good = build("vllm", LLAMA_3_1_70B, tp=8, pp=2, nnodes=2)
    assert not good.rejections


def test_vllm_partition_declared_and_wrong() -> None:
    deployment = build("vllm", DEEPSEEK_V3, pp=2, pp_partition=[30, 31])
    assert [stage.layers for stage in deployment.stages] == [(0, 30), (30, 61)]
    too_many = build("vllm", DEEPSEEK_V3, pp=2, pp_partition=[20, 20, 21])
    assert "pp-partition-length" in kinds(too_many)
    assert "len(partitions)=3 does not match pp_size=2." in too_many.rejections[0].message
    assert "pp-partition-sum" in kinds(build("vllm", DEEPSEEK_V3, pp=2, pp_partition=[30, 30]))


def test_no_model_still_counts_gpus() -> None:
    deployment = build("vllm", None, tp=8, pp=2, dp=2)
    assert deployment.gpus_total == 32
    assert [stage.layers for stage in deployment.stages] == [(0, 0), (0, 0)]
    moe = build("vllm", None, tp=4, dp=2, enable_ep=True)
    assert moe.gpus_total == 8 and moe.replicas == 1
    assert moe.stages[0].moe is not None and moe.stages[0].moe.ep == 8


def test_gpus_per_node_passes_through() -> None:
    assert derive(plan("vllm", tp=8), None, gpus_per_node=8).gpus_per_node == 8
