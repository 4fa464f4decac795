"""PL205 sequence-parallel-scope: SP/CP inside attention, coupled to TP."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range
from parlint.linter.mapping import Deployment, Rejection
from parlint.linter.models.structure import Attention, ModelStructure
from parlint.linter.plan import Decision, DeclaredPlan, DeclaredStage, Sourced
from parlint.rules import sequence_parallel_scope

FILE = "serve.yaml"
LLAMA = ModelStructure("meta-llama/Llama-3.1-70B", "LlamaForCausalLM", 80, 8192, 128256,
                       Attention("gqa", 64, 8, 128), 28672)
LLAMA_8B = ModelStructure("meta-llama/Llama-3.1-8B", "LlamaForCausalLM", 32, 4096, 128256,
                          Attention("gqa", 32, 8, 128), 14336)
DEEPSEEK = ModelStructure("deepseek-ai/DeepSeek-V3", "DeepseekV3ForCausalLM", 61, 7168, 129280,
                          Attention("mla", 128, 128, 192), 18432)


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 9, 1))
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = Sourced(value, FILE, Range.of(line, 3, line, 4), name)
    return plan


def _run(plan: DeclaredPlan, model: ModelStructure | None, rejections: tuple[Rejection, ...] = ()) -> list[Finding]:
    deployment = Deployment(plan, model, 1, [], rejections=list(rejections))
    return list(sequence_parallel_scope.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def test_gqa_decode_cp_needs_tp_above_the_kv_heads() -> None:
    plan = _plan("vllm", tp=8, dcp=2)
    [found] = _run(plan, LLAMA)
    assert found.range == plan.settings["dcp"].range
    assert found.message.startswith("Decode context parallelism for GQA/MQA requires --tensor-parallel-size (8) "
                                    "to be greater than the model's total number of KV heads (8)")
    assert "each GPU already holds a single KV head" in found.message


def test_gqa_decode_cp_above_tp_over_kv_heads() -> None:
    [found] = _run(_plan("vllm", tp=16, dcp=4), LLAMA_8B)
    assert "--decode-context-parallel-size (4) exceeds the maximum supported value (2)" in found.message
    assert "decode CP sizes that fit TP 16: 2" in found.message


def test_gqa_query_heads_per_kv_head_must_divide() -> None:
    model = ModelStructure("x/gqa-6", "X", 4, 4096, 32000, Attention("gqa", 24, 4, 128), 11008)
    [found] = _run(_plan("vllm", tp=16, dcp=4), model)
    assert "query heads per KV head (6) must be divisible by --decode-context-parallel-size (4)" in found.message


def test_mla_counts_as_one_kv_head_and_fitting_gqa_is_silent() -> None:
    assert _run(_plan("vllm", tp=8, dcp=8), DEEPSEEK) == []
    assert _run(_plan("vllm", tp=16, dcp=2), LLAMA) == []
    assert _run(_plan("sglang", tp=8, dcp=2), LLAMA) == []  # the GQA limits are vLLM's


def test_engine_rejection_is_reported_once_at_its_value() -> None:
    plan = _plan("vllm", tp=8, dcp=3)
    rejection = Rejection("vllm-dcp-not-dividing-tp", "tp_size=8 must be divisible by dcp_size=3.",
                          (plan.settings["tp"], plan.settings["dcp"]))
    [found] = _run(plan, LLAMA, (rejection,))
    assert found.range == plan.settings["dcp"].range
    assert found.message.startswith("tp_size=8 must be divisible by dcp_size=3: context parallelism")
    assert [note.range for note in found.related] == [plan.settings["tp"].range]


def test_plan_deciding_sp_outside_the_operator_step() -> None:
    plan = _plan("parlint")
    where = Range.of(7, 9, 7, 60)
    plan.decisions.append(Decision("structural", {"pp": 2, "sp": 4}, "long prompts", FILE, where))
    plan.decisions.append(Decision("operator", {"tp": 8, "sp": 2}, "ring attention", FILE, Range.of(8, 9, 8, 40)))
    [found] = _run(plan, None)
    assert found.range == where and found.message.startswith("SP decided in the 'structural' step")


def test_plan_stage_sp_not_coupled_to_tp() -> None:
    plan = _plan("parlint")
    stage_range = Range.of(12, 9, 12, 70)
    plan.stages.append(DeclaredStage((0, 40), tuple(range(8)), 4, None, FILE, stage_range, attention_sp=3))
    plan.stages.append(DeclaredStage((40, 80), tuple(range(8, 16)), 4, None, FILE, Range.of(13, 9, 13, 70),
                                     attention_sp=2))
    [found] = _run(plan, None)
    assert found.range == stage_range
    assert "neither reuses the TP ranks (4 % 3 = 1) nor partitions the stage's 8 GPUs" in found.message


def test_decode_cp_not_dividing_tp_lists_the_sizes_that_do() -> None:
    plan = _plan("vllm", tp=8, dcp=3)
    rejection = Rejection("vllm-dcp-not-dividing-tp", "tp_size=8 must be divisible by dcp_size=3.",
                          (plan.settings["tp"], plan.settings["dcp"]))
    [found] = _run(plan, DEEPSEEK, (rejection,))
    assert found.message.endswith("; sizes that divide TP 8: 1, 2, 4, 8")
