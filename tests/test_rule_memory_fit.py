"""PL701 memory-fit: weights + one full-length KV cache + overhead within the engine's memory budget."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range
from parlint.linter.mapping import Deployment, MoePhase, Stage
from parlint.linter.models.catalog import lookup
from parlint.linter.models.hardware import GpuSpec, find_gpu
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced
from parlint.rules import memory_fit

FILE = "serve.yaml"


def _model(model_id: str) -> ModelStructure:
    hit = lookup(model_id)
    assert hit is not None
    return hit.structure


LLAMA = _model("meta-llama/Llama-3.1-70B-Instruct")
QWEN_FP8 = _model("Qwen/Qwen3-235B-A22B-FP8")
H100 = find_gpu("H100")


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 9, 1))
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = Sourced(value, FILE, Range.of(line, 3, line, 4), name.replace("_", "-"))
    return plan


def _run(plan: DeclaredPlan, model: ModelStructure, tp: int, gpu: GpuSpec | None, pp: int = 1,
         ep: int = 1) -> list[Finding]:
    stages = []
    base, first = model.num_layers // pp, 0
    for index in range(pp):
        last = model.num_layers if index == pp - 1 else first + base
        moe = MoePhase(ep, tp // ep, (0, 0)) if model.is_moe else None
        stages.append(Stage(index, (first, last), tuple(range(index * tp, (index + 1) * tp)), attn_tp=tp,
                            ffn_tp=tp, moe=moe))
        first = last
    deployment = Deployment(plan, model, 1, stages, gpus_per_node=8)
    return list(memory_fit.check(LintContext(FILE, deployments=[DeploymentFacts(deployment, gpu=gpu)])))


def test_llama70b_on_one_h100_names_every_term_and_the_smallest_tp() -> None:
    plan = _plan("vllm", tp=1, max_model_len=32768)
    [found] = _run(plan, LLAMA, 1, H100)
    assert found.range == plan.settings["tp"].range
    assert "weights 131.4 GiB + KV cache of one 32768-token sequence 10.0 GiB + runtime overhead 3.0 GiB" in (
        found.message)
    assert "exceed the usable 71.7 GiB (79.6 GiB H100-80GB x gpu-memory-utilization 0.9)" in found.message
    assert found.suggestion is not None and found.suggestion.mapping == {"tp": 4, "pp": 1}


def test_model_length_defaults_to_max_position_embeddings() -> None:
    [found] = _run(_plan("vllm", tp=2), LLAMA, 2, H100)
    assert "KV cache of one 131072-token sequence" in found.message


def test_written_fraction_is_used_and_named() -> None:
    plan = _plan("sglang", tp=8, mem_fraction=0.3, max_model_len=40960)
    [found] = _run(plan, QWEN_FP8, 8, H100, ep=8)
    assert "x mem-fraction 0.3" in found.message
    assert [note.range for note in found.related] == [plan.settings["max_model_len"].range,
                                                      plan.settings["mem_fraction"].range]


def test_pipeline_stages_when_tp_is_already_the_node() -> None:
    model = _model("deepseek-ai/DeepSeek-V3")
    [found] = _run(_plan("vllm", tp=8, max_model_len=8192), model, 8, H100, ep=8)
    assert found.suggestion is not None and found.suggestion.mapping["tp"] == 8
    assert found.suggestion.mapping["pp"] >= 2


def test_fitting_plans_unknown_gpu_and_unread_engines_are_silent() -> None:
    assert _run(_plan("vllm", tp=8, max_model_len=32768), LLAMA, 8, H100) == []
    assert _run(_plan("vllm", tp=1, max_model_len=32768), LLAMA, 1, None) == []
    assert _run(_plan("mii", tp=1), LLAMA, 1, H100) == []
    assert _run(_plan("vllm", tp=1, max_model_len="32k"), LLAMA, 1, H100) == []


def test_trtllm_without_fraction_checks_weights_against_the_whole_gpu() -> None:
    [found] = _run(_plan("trtllm", tp=1), LLAMA, 1, H100)
    assert "exceed the 79.6 GiB of a H100-80GB, after weights" in found.message
    assert _run(_plan("trtllm", tp=4), LLAMA, 4, H100) == []
