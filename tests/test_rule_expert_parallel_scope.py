"""PL204 expert-parallel-scope: EP only on MoE models, evenly, over the whole stage."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, MoePhase, Rejection, Stage
from parlint.linter.models.structure import Attention, ModelStructure, Moe
from parlint.linter.plan import DeclaredPlan, Sourced
from parlint.rules import expert_parallel_scope

FILE = "serve.yaml"
QWEN_30B = ModelStructure("Qwen/Qwen3-30B-A3B", "Qwen3MoeForCausalLM", 48, 2048, 151936,
                          Attention("gqa", 32, 4, 128), 6144, moe=Moe(128, 8, 768))
LLAMA = ModelStructure("meta-llama/Llama-3.1-70B", "LlamaForCausalLM", 80, 8192, 128256,
                       Attention("gqa", 64, 8, 128), 28672)


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 9, 1))
    plan.model = Sourced("model-id", FILE, Range.of(1, 8, 1, 20), "model")
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = Sourced(value, FILE, Range.of(line, 3, line, 4), name)
    return plan


def _run(plan: DeclaredPlan, model: ModelStructure | None, size: int, moe: MoePhase | None,
         rejections: tuple[Rejection, ...] = ()) -> list[Finding]:
    stage = Stage(0, (0, 4), tuple(range(size)), attn_tp=size, ffn_tp=size, moe=moe)
    deployment = Deployment(plan, model, 1, [stage], rejections=list(rejections))
    return list(expert_parallel_scope.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_vllm_ep_on_dense_model_quotes_the_engine_at_the_switch() -> None:
    plan = _plan("vllm", tp=8, enable_ep=True)
    rejection = Rejection("vllm-ep-on-dense-model", "Number of experts in the model must be greater than 0 when "
                          "expert parallelism is enabled.", (plan.settings["enable_ep"],))
    [found] = _run(plan, LLAMA, 8, None, (rejection,))
    assert found.range == plan.settings["enable_ep"].range
    assert found.message.startswith("Llama-3.1-70B is a dense model without experts: Number of experts")
    assert found.message.endswith("; remove enable_ep and keep tensor parallelism for its attention and dense FFN")


def test_explicit_ep_size_on_dense_model_without_engine_rejection() -> None:
    plan = _plan("sglang", tp=8, ep=8)
    [found] = _run(plan, LLAMA, 8, None)
    assert found.range == plan.settings["ep"].range
    assert "expert parallel size 8 has nothing to distribute" in found.message


def test_sglang_uneven_experts_are_an_error_with_valid_sizes() -> None:
    plan = _plan("sglang", tp=6, ep=6)
    [found] = _run(plan, QWEN_30B, 6, MoePhase(6, 1, (21, 22)))
    assert found.range == plan.settings["ep"].range
    assert found.severity is None
    assert "128 experts of Qwen3-30B-A3B are not divisible by expert parallel size 6" in found.message
    assert "SGLang requires an even split; valid EP sizes up to 6: 1, 2, 4" in found.message


def test_redundant_experts_count_for_the_split() -> None:
    plan = _plan("sglang", tp=8, ep=8, redundant_experts=4)
    [found] = _run(plan, QWEN_30B, 8, MoePhase(8, 1, (16, 17), redundant_experts=4))
    assert "128 routed + 4 redundant experts" in found.message
    assert _run(_plan("sglang", tp=8, ep=8, redundant_experts=8), QWEN_30B, 8,
                MoePhase(8, 1, (17, 17), redundant_experts=8)) == []


def test_vllm_without_eplb_spreads_the_remainder_as_a_warning() -> None:
    plan = _plan("vllm", tp=6, enable_ep=True)
    [found] = _run(plan, QWEN_30B, 6, MoePhase(6, 1, (21, 22)))
    assert found.severity == Severity.WARNING
    assert found.range == plan.settings["tp"].range
    assert "the first 2 ranks hold 22 experts and the others 21" in found.message


def test_vllm_eplb_rejection_is_reported_once_as_an_error() -> None:
    plan = _plan("vllm", tp=6, enable_ep=True, eplb=True)
    rejection = Rejection("vllm-eplb-uneven-experts", "EPLB currently only supports even distribution of experts "
                          "across ranks. Got 128 experts and 6 EP ranks.", (plan.settings["enable_ep"],))
    [found] = _run(plan, QWEN_30B, 6, MoePhase(6, 1, (21, 22)), (rejection,))
    assert found.severity is None and "EPLB currently only supports even distribution" in found.message


def test_trtllm_names_the_backend_exception() -> None:
    [found] = _run(_plan("trtllm", tp=6, ep=6), QWEN_30B, 6, MoePhase(6, 1, (21, 22)))
    assert "unless the MoE backend supports non-divisible EP" in found.message


def test_expert_group_smaller_than_the_stage_replicates_experts() -> None:
    plan = _plan("deepspeed", tp=8, ep=4)
    [found] = _run(plan, QWEN_30B, 8, MoePhase(4, 1, (32, 32)))
    assert found.range == plan.settings["ep"].range
    assert "covers only part of the stage's 8 GPUs: each of Qwen3-30B-A3B's 128 experts is held by 2 GPUs" in (
        found.message)
    assert "`moe.ep_size: 8`" in found.message
    assert found.suggestion is not None and found.suggestion.mapping["moe"]["experts_per_gpu"] == 16


def test_sglang_tp_not_divisible_by_ep_is_reported_from_the_rejection() -> None:
    plan = _plan("sglang", tp=8, ep=3)
    rejection = Rejection("sglang-tp-not-divisible-by-ep", "tp_size 8 must be divisible by ep_size 3",
                          (plan.settings["ep"], plan.settings["tp"]))
    found = _run(plan, QWEN_30B, 8, MoePhase(3, 2, (42, 43)), (rejection,))
    assert [item.message for item in found if "tile" in item.message] == [
        "the expert group must tile the stage's 8 GPUs: tp_size 8 must be divisible by ep_size 3"]


def test_whole_stage_even_split_and_unknown_model_are_silent() -> None:
    assert _run(_plan("sglang", tp=8, ep=8), QWEN_30B, 8, MoePhase(8, 1, (16, 16))) == []
    assert _run(_plan("sglang", tp=6, ep=6), None, 6, MoePhase(6, 1, (0, 0))) == []
    assert _run(_plan("vllm", tp=8), LLAMA, 8, None) == []


def test_trtllm_refused_moe_cluster_leaves_no_expert_group_to_judge() -> None:
    plan = _plan("trtllm", tp=8, ep=4, moe_cluster=2)
    rejection = Rejection("trtllm-moe-cluster-with-ep", "moe_cluster_size > 1 requires moe_ep_size == 1",
                          (plan.settings["moe_cluster"], plan.settings["ep"]))
    assert _run(plan, QWEN_30B, 8, MoePhase(4, 1, (32, 32)), (rejection,)) == []
    assert len(_run(plan, QWEN_30B, 8, MoePhase(4, 1, (32, 32)))) == 1  # without the refusal: a half group


def test_partial_expert_group_relates_the_values_that_size_the_stage() -> None:
    plan = _plan("sglang", tp=8, ep=4, moe_dp=2)
    [found] = _run(plan, QWEN_30B, 8, MoePhase(4, 1, (32, 32)))
    assert found.range == plan.settings["ep"].range
    assert [item.message for item in found.related] == ["tp = 8", "moe_dp = 2"]
