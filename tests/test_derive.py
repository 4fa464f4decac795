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


def test_sglang_tp8_with_attention_dp8_is_8_gpus() -> None:
    deployment = build("sglang", DEEPSEEK_V3, tp=8, attn_dp=8, ep=8)
    assert deployment.gpus_total == 8 and deployment.replicas == 1
    [stage] = deployment.stages
    assert (stage.attn_tp, stage.attn_dp) == (1, 8)
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (8, 1)
    assert stage.moe.experts_per_gpu == (32, 32)


def test_sglang_dp2_tp8_is_16_gpus_in_two_replicas() -> None:
    deployment = build("sglang", LLAMA_3_1_70B, tp=8, dp=2)
    assert (deployment.replicas, deployment.gpus_per_replica, deployment.gpus_total) == (2, 8, 16)


def test_sglang_deprecated_dp_attention_is_rewritten() -> None:
    deployment = build("sglang", DEEPSEEK_V3, tp=8, dp=8, enable_attention_dp=True)
    assert deployment.replicas == 1 and deployment.stages[0].attn_dp == 8 and not deployment.rejections


def test_sglang_a2a_backend_forces_ep_to_tp_and_default_is_tp_sharded() -> None:
    forced = build("sglang", DEEPSEEK_V3, tp=16, ep=4, a2a_backend="deepep")
    assert forced.stages[0].moe is not None and forced.stages[0].moe.ep == 16
    default = build("sglang", DEEPSEEK_V3, tp=8)
    assert default.stages[0].moe is not None and (default.stages[0].moe.ep, default.stages[0].moe.expert_tp) == (1, 8)


def test_sglang_pp4_split_and_partition_ignored_at_pp1() -> None:
    deployment = build("sglang", DEEPSEEK_V3, tp=2, pp=4)
    assert [stage.num_layers for stage in deployment.stages] == [15, 15, 15, 16]
    assert not build("sglang", DEEPSEEK_V3, tp=8, pp_partition=[30, 31]).rejections


def test_sglang_rejections() -> None:
    assert "sglang-dp-with-attn-dp" in kinds(build("sglang", DEEPSEEK_V3, tp=8, dp=2, attn_dp=8))
    assert "sglang-tp-not-divisible-by-attn-dp" in kinds(build("sglang", DEEPSEEK_V3, tp=8, attn_dp=3))
    assert "sglang-multinode-dp" in kinds(build("sglang", LLAMA_3_1_70B, tp=8, dp=2, nnodes=2))
    assert "sglang-tp-pp-not-divisible-by-nnodes" in kinds(build("sglang", LLAMA_3_1_70B, tp=4, nnodes=3))
    assert "sglang-moe-dense-tp" in kinds(build("sglang", DEEPSEEK_V3, tp=8, moe_dense_tp=2))
    assert "sglang-tp-not-divisible-by-ep" in kinds(build("sglang", DEEPSEEK_V3, tp=8, ep=3))
    assert "sglang-experts-not-divisible-by-ep" in kinds(build("sglang", DEEPSEEK_V3, tp=6, ep=6))
    assert "sglang-dcp-not-dividing-tp" in kinds(build("sglang", DEEPSEEK_V3, tp=8, dcp=3))


def test_trtllm_tp8_moe_ep8_with_attention_dp() -> None:
    deployment = build("trtllm", DEEPSEEK_V3, tp=8, ep=8, moe_tp=1, enable_attention_dp=True)
    assert deployment.gpus_total == 8 and not deployment.rejections
    [stage] = deployment.stages
    assert (stage.attn_tp, stage.attn_dp) == (1, 8)
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp, stage.moe.experts_per_gpu) == (8, 1, (32, 32))


def test_trtllm_moe_auto_derivation() -> None:
    only_ep = build("trtllm", DEEPSEEK_V3, tp=8, ep=4).stages[0].moe
    assert only_ep is not None and (only_ep.ep, only_ep.expert_tp) == (4, 2)
    default = build("trtllm", DEEPSEEK_V3, tp=8).stages[0].moe
    assert default is not None and (default.ep, default.expert_tp) == (1, 8)
    floor = build("trtllm", DEEPSEEK_V3, tp=8, ep=3)
    assert "trtllm-moe-tp-ep-product" in kinds(floor)
    assert "trtllm-moe-tp-ep-product" in kinds(build("trtllm", DEEPSEEK_V3, tp=8, ep=8, moe_tp=2))
    assert "trtllm-cp-moe" in kinds(build("trtllm", DEEPSEEK_V3, tp=4, cp=2, ep=4))


def test_trtllm_split_and_partition() -> None:
    deployment = build("trtllm", DEEPSEEK_V3, tp=2, pp=4, cp=2)
    assert [stage.num_layers for stage in deployment.stages] == [16, 15, 15, 15]
    assert deployment.gpus_total == 16 and deployment.stages[1].gpus == (4, 5, 6, 7)
    wrong = build("trtllm", DEEPSEEK_V3, pp=2, pp_partition=[30, 30])
    assert wrong.rejections[0].message == "sum(self.pp_partition)=60 does not match num_layers=61."


def test_deepspeed_tp_and_ep() -> None:
    deployment = build("deepspeed", None, tp=4, ep=4, moe_experts=[64])
    assert deployment.gpus_total == 4
    moe = deployment.stages[0].moe
    assert moe is not None and (moe.ep, moe.expert_tp, moe.experts_per_gpu) == (4, 1, (16, 16))
    assert "deepspeed-experts-not-divisible-by-ep" in kinds(build("deepspeed", None, tp=4, ep=3, moe_experts=[64]))
    assert "deepspeed-no-pp" in kinds(build("deepspeed", LLAMA_3_1_70B, tp=4, pp=2))


def test_mii_tp2_replicas4_is_8_gpus() -> None:
    deployment = build("mii", LLAMA_3_1_70B, tp=2, replicas=4)
    assert (deployment.replicas, deployment.gpus_per_replica, deployment.gpus_total) == (4, 2, 8)
    mapped = build("mii", LLAMA_3_1_70B, tp=2, replicas=2, device_map={"localhost": [[4, 5], [6, 7]]})
    assert mapped.stages[0].gpus == (4, 5) and not mapped.rejections
    assert "mii-device-map-group-size" in kinds(build("mii", None, tp=2, replicas=1, device_map={"h": [[0, 1, 2]]}))
    assert "mii-device-map-replicas" in kinds(build("mii", None, tp=2, replicas=1, device_map={"h": [[0, 1], [2, 3]]}))


def test_plan_ep_smaller_than_its_stage_is_a_partial_expert_group_not_expert_tp() -> None:
    from parlint.linter.plan import DeclaredStage

    declared = plan("parlint")
    half = DeclaredStage((0, 61), tuple(range(8)), 1, 4, "plan.yaml", WHERE)
    stated = DeclaredStage((0, 61), tuple(range(8)), 2, 4, "plan.yaml", WHERE, tp_scope=("attention", "experts"))
    declared.stages = [half]
    [stage] = derive(declared, DEEPSEEK_V3).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp, stage.size) == (4, 1, 8)
    declared.stages = [stated]
    [stage] = derive(declared, DEEPSEEK_V3).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (4, 2)
