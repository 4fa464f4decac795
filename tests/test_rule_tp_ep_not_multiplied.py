"""PL401 tp-ep-not-multiplied: no TP inside experts while EP is on; TensorRT-LLM MoE sizes multiply to TP."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range
from parlint.linter.mapping import Deployment, MoePhase, Rejection, Stage
from parlint.linter.models.structure import Attention, ModelStructure, Moe, Quantization
from parlint.linter.plan import DeclaredPlan, Sourced
from parlint.rules import tp_ep_not_multiplied

FILE = "serve.yaml"
QWEN_FP8 = ModelStructure("Qwen/Qwen3-235B-A22B-FP8", "Qwen3MoeForCausalLM", 94, 4096, 151936,
                          Attention("gqa", 64, 4, 128), 12288, moe=Moe(128, 8, 1536),
                          quantization=Quantization("fp8", 8, (128, 128), None, "fp8"))
DEEPSEEK = ModelStructure("deepseek-ai/DeepSeek-V3", "DeepseekV3ForCausalLM", 61, 7168, 129280,
                          Attention("mla", 128, 128, 192), 18432, moe=Moe(256, 8, 2048))


def _plan(engine: str, dialect: str = "", **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 9, 1), dialect=dialect)
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = Sourced(value, FILE, Range.of(line, 3, line, 4), name)
    return plan


def _run(plan: DeclaredPlan, model: ModelStructure | None, moe: MoePhase | None, size: int = 8,
         rejections: tuple[Rejection, ...] = ()) -> list[Finding]:
    stage = Stage(0, (0, 4), tuple(range(size)), attn_tp=size, ffn_tp=size, moe=moe)
    deployment = Deployment(plan, model, 1, [stage], rejections=list(rejections))
    return list(tp_ep_not_multiplied.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_sglang_ep_below_tp_slices_experts() -> None:
    plan = _plan("sglang", dialect="sglang-cli", tp=8, ep=4)
    [found] = _run(plan, QWEN_FP8, MoePhase(4, 2, (32, 32)))
    assert found.range == plan.settings["ep"].range
    assert "expert parallelism 4 is multiplied with tensor parallelism 2 inside the experts on the same 8 GPUs" in (
        found.message)
    assert "1536 / 2 = 768-wide slices" in found.message
    assert "`--ep-size 8`" in found.message and ": 16 per GPU" in found.message
    assert found.suggestion is not None and found.suggestion.mapping["settings"] == {"ep": 8}


def test_block_misfit_of_the_slices_is_named() -> None:
    [found] = _run(_plan("sglang", tp=16, ep=2), QWEN_FP8, MoePhase(2, 8, (64, 64)), size=16)
    assert "expert FFN width 1536 / TP 8 = 192 per GPU is not a whole number of fp8 128-wide" in found.message


def test_trtllm_moe_tp_is_pointed_at() -> None:
    plan = _plan("trtllm", tp=8, ep=4, moe_tp=2)
    [found] = _run(plan, DEEPSEEK, MoePhase(4, 2, (64, 64)))
    assert found.range == plan.settings["moe_tp"].range
    assert "`moe_expert_parallel_size: 8`, `moe_tensor_parallel_size: 1`" in found.message


def test_trtllm_both_sizes_written_as_tp_is_the_mechanical_product() -> None:
    plan = _plan("trtllm", tp=8, ep=8, moe_tp=8)
    [found] = _run(plan, DEEPSEEK, MoePhase(8, 8, (32, 32)))
    assert found.range == plan.settings["moe_tp"].range
    assert found.message.startswith("moe_tp_size * moe_ep_size * moe_cluster_size must equal to moe_world_size, "
                                    "but got 8 x 8 = 64 for tensor parallel size 8")


def test_trtllm_floor_derived_size_still_fails_the_product() -> None:
    plan = _plan("trtllm", tp=8, ep=3)
    [found] = _run(plan, DEEPSEEK, None)
    assert found.range == plan.settings["ep"].range and "2 x 3 = 6" in found.message


def test_trtllm_rejection_from_the_mapping_is_used_once() -> None:
    plan = _plan("trtllm", tp=8, ep=8, moe_tp=8)
    rejection = Rejection("trtllm-moe-tp-ep-product", "moe_tp_size * moe_ep_size * moe_cluster_size must equal "
                          "to moe_world_size, but got 64 != 8.", (plan.settings["tp"],))
    [found] = _run(plan, DEEPSEEK, None, rejections=(rejection,))
    assert found.range == plan.settings["moe_tp"].range
    assert found.message.startswith("moe_tp_size * moe_ep_size * moe_cluster_size must equal to moe_world_size, "
                                    "but got 64 != 8; TP and EP share the same 8 GPUs")


def test_whole_expert_ep_and_consistent_trtllm_sizes_are_silent() -> None:
    assert _run(_plan("sglang", tp=8, ep=8), QWEN_FP8, MoePhase(8, 1, (16, 16))) == []
    assert _run(_plan("trtllm", tp=8, ep=8, moe_tp=1), DEEPSEEK, MoePhase(8, 1, (32, 32))) == []
    assert _run(_plan("trtllm", tp=8), DEEPSEEK, MoePhase(1, 8, (256, 256))) == []  # PL301's case
    assert _run(_plan("sglang", tp=8, ep=4), None, MoePhase(4, 2, (0, 0))) == []


def test_trtllm_moe_cluster_with_ep_points_at_the_cluster_size() -> None:
    plan = _plan("trtllm", tp=8, ep=4, moe_cluster=2)
    rejection = Rejection("trtllm-moe-cluster-with-ep", "moe_cluster_size > 1 requires moe_ep_size == 1",
                          (plan.settings["moe_cluster"], plan.settings["ep"]))
    [found] = _run(plan, DEEPSEEK, MoePhase(4, 1, (64, 64)), rejections=(rejection,))
    assert found.range == plan.settings["moe_cluster"].range
    assert found.message.startswith('moe_cluster_parallel_size 2 with moe_expert_parallel_size 4: TensorRT-LLM fails '
                                    'with "moe_cluster_size > 1 requires moe_ep_size == 1"')
    assert "(`moe_expert_parallel_size: 8`, `moe_tensor_parallel_size: 1`)" in found.message
    assert [item.message for item in found.related] == ["ep = 4"]
    assert found.suggestion is not None and found.suggestion.mapping == {"ep": 8, "moe_tp": 1}
