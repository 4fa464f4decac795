"""PL301 moe-expert-parallel: MoE models served with tensor-sharded experts."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range
from parlint.linter.mapping import Deployment, MoePhase, Stage
from parlint.linter.models.structure import Attention, ModelStructure, Moe, Quantization
from parlint.linter.plan import DeclaredPlan, Sourced
from parlint.rules import moe_expert_parallel

FILE = "serve.yaml"


def _model(model_id: str, experts: int, width: int, block: bool = False) -> ModelStructure:
    quantization = Quantization("fp8", 8, (128, 128), None, "fp8") if block else None
    return ModelStructure(
        id=model_id, architecture="X", num_layers=4, hidden_size=4096, vocab_size=151936,
        attention=Attention("gqa", 64, 4, 128), intermediate_size=12288,
        moe=Moe(experts, 8, width), quantization=quantization,
    )


QWEN_FP8 = _model("Qwen/Qwen3-235B-A22B-FP8", 128, 1536, block=True)
DEEPSEEK = _model("deepseek-ai/DeepSeek-V3", 256, 2048, block=True)
DENSE = ModelStructure("meta-llama/Llama-3.1-70B", "LlamaForCausalLM", 80, 8192, 128256,
                       Attention("gqa", 64, 8, 128), 28672)


def _plan(engine: str, dialect: str = "", **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 9, 1), dialect=dialect)
    plan.model = Sourced("model-id", FILE, Range.of(1, 8, 1, 20), "model")
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = Sourced(value, FILE, Range.of(line, 3, line, 4), name)
    return plan


def _run(plan: DeclaredPlan, model: ModelStructure | None, ep: int, expert_tp: int, size: int) -> list[Finding]:
    moe = MoePhase(ep, expert_tp, (0, 0)) if model is not None and model.is_moe else None
    stage = Stage(0, (0, 4), tuple(range(size)), attn_tp=size, ffn_tp=size, moe=moe)
    ctx = LintContext(FILE, deployments=[DeploymentFacts(Deployment(plan, model, 1, [stage]))])
    return list(moe_expert_parallel.check(ctx))


def test_block_fp8_experts_sliced_below_a_block_are_refused_by_vllm() -> None:
    plan = _plan("vllm", tp=8)
    [found] = _run(plan, QWEN_FP8, ep=1, expert_tp=8, size=8)
    assert found.range == plan.settings["tp"].range
    assert "each of its 128 experts is cut into 1536 / 8 = 192-wide slices on 8 GPUs" in found.message
    assert "1536 / TP 8 = 192 per GPU is not a whole number of fp8 128-wide weight blocks" in found.message
    assert "vLLM refuses to load it" in found.message
    assert "`enable-expert-parallel: true`" in found.message and "16 whole experts" in found.message
    assert found.suggestion is not None
    assert found.suggestion.mapping == {
        "settings": {"enable_ep": True},
        "moe": {"ep": 8, "tp": 1, "experts_per_gpu": 16, "redundant_experts": 0},
    }


def test_aligned_slices_still_violate_whole_expert_mapping() -> None:
    [found] = _run(_plan("vllm", tp=8), DEEPSEEK, ep=1, expert_tp=8, size=8)
    assert "DeepSeek-V3" in found.message
    assert "each of its 256 experts is cut into 2048 / 8 = 256-wide slices on 8 GPUs" in found.message
    assert "refuses" not in found.message and "32 whole experts" in found.message
    assert found.severity is None  # the rule's default: error


def test_vllm_dp_ranks_join_the_expert_group() -> None:
    plan = _plan("vllm", tp=4, dp=2)
    [found] = _run(plan, DEEPSEEK, ep=1, expert_tp=8, size=8)
    assert found.range == plan.settings["tp"].range
    assert "2048 / 8 = 256-wide slices on 8 GPUs" in found.message


def test_sglang_explicit_ep_size_one_is_the_value_pointed_at_and_cli_spelling_is_used() -> None:
    plan = _plan("sglang", dialect="sglang-cli", tp=8, ep=1)
    [found] = _run(plan, QWEN_FP8, ep=1, expert_tp=8, size=8)
    assert found.range == plan.settings["ep"].range
    assert "`--ep-size 8`" in found.message and "SGLang refuses" in found.message
    assert [note.range for note in found.related][-1] == plan.settings["tp"].range


def test_trtllm_points_at_moe_tp_and_names_both_keys() -> None:
    plan = _plan("trtllm", tp=8, moe_tp=8)
    [found] = _run(plan, QWEN_FP8, ep=1, expert_tp=8, size=8)
    assert found.range == plan.settings["moe_tp"].range
    assert "`moe_expert_parallel_size: 8`, `moe_tensor_parallel_size: 1`" in found.message
    assert "the slices are misaligned" in found.message  # TensorRT-LLM divides with // and loads it


def test_width_not_divisible_is_named() -> None:
    model = _model("Qwen/Qwen3-30B-A3B", 128, 768)
    [found] = _run(_plan("vllm", tp=5), model, ep=1, expert_tp=5, size=5)
    assert "expert FFN width 768 is not divisible by expert tensor parallel size 5" in found.message
    assert "25 or 26 whole experts" in found.message


def test_silent_with_expert_parallelism_dense_model_unknown_model_or_single_gpu() -> None:
    assert _run(_plan("vllm", tp=8, enable_ep=True), QWEN_FP8, ep=8, expert_tp=1, size=8) == []
    assert _run(_plan("vllm", tp=8), DENSE, ep=1, expert_tp=8, size=8) == []
    assert _run(_plan("vllm", tp=8), None, ep=1, expert_tp=8, size=8) == []
    assert _run(_plan("vllm"), QWEN_FP8, ep=1, expert_tp=1, size=1) == []


def test_silent_when_no_degree_is_written() -> None:
    assert _run(_plan("vllm"), QWEN_FP8, ep=1, expert_tp=8, size=8) == []
