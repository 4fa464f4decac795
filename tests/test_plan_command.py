"""``parlint plan``: every printed config lints clean and derives back to the planned mapping.

Sampling (a 2-core CI must stay fast): vLLM is checked over the full product, every catalog model x
{1, 2, 4, 8, 16, 32} GPUs x {H100-80GB, H200, A100-40GB} x both objectives; for SGLang, TensorRT-LLM,
DeepSpeed and the parlint plan every model is checked on every GPU type with one budget per (model,
GPU type) rotating through the six, both objectives, so each model is covered at least once per engine.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest
import yaml

from parlint.linter.adapters import adapt
from parlint.linter.cli import main
from parlint.linter.config import Settings
from parlint.linter.derive import derive
from parlint.linter.emit import EmittedConfig, emit
from parlint.linter.loader import load_text
from parlint.linter.models.catalog import catalog_ids, lookup
from parlint.linter.models.hardware import find_gpu
from parlint.linter.planner import PlannedDeployment, plan_deployment
from parlint.linter.runner import RunOptions, lint_text

BUDGETS = (1, 2, 4, 8, 16, 32)
GPUS = ("H100-80GB", "H200", "A100-40GB")
OBJECTIVES = ("latency", "throughput")


def _cases(engine: str, full: bool) -> list[tuple[str, str, int, str]]:
    cases = []
    for index, model_id in enumerate(catalog_ids()):
        for gpu_index, gpu in enumerate(GPUS):
            budgets = BUDGETS if full else (BUDGETS[(index + gpu_index) % len(BUDGETS)],)
            cases.extend((model_id, gpu, budget, objective) for budget in budgets for objective in OBJECTIVES)
    return cases


def _check_derived(planned: PlannedDeployment, config: EmittedConfig) -> None:
    loaded = load_text("serve" + config.suffix, config.text)
    assert loaded.ok, loaded.problems
    plans = adapt(loaded)
    assert len(plans) == 1
    deployment = derive(plans[0], planned.model, gpus_per_node=planned.gpus_per_node)
    assert not deployment.rejections, deployment.rejections
    assert deployment.replicas == config.replicas_in_config
    assert len(deployment.stages) == planned.pp
    for stage, expected in zip(deployment.stages, planned.stages, strict=True):
        assert stage.layers == expected.layers
        assert stage.size == planned.stage_size
        assert (stage.attn_tp, stage.attn_dp) == (planned.attn_tp, planned.attn_dp)
        if planned.model.is_moe and planned.stage_size > 1:
            assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (planned.ep, 1)


def _sweep(engine: str, full: bool) -> tuple[int, int, list[str]]:
    clean, no_plan, failures = 0, 0, []
    for model_id, gpu_name, budget, objective in _cases(engine, full):
        hit, gpu = lookup(model_id), find_gpu(gpu_name)
        assert hit is not None and gpu is not None
        planned = plan_deployment(hit.structure, gpus=budget, gpu=gpu, gpus_per_node=8, engine=engine,
                                  objective=objective)
        if not isinstance(planned, PlannedDeployment):
            assert planned.reason
            no_plan += 1
            continue
        assert planned.gpus_used <= budget
        config = emit(planned)
        result = lint_text("serve" + config.suffix, config.text, Settings(gpu=gpu_name, gpus_per_node=8),
                           RunOptions())
        if result.diagnostics:
            failures.append(f"{model_id} {gpu_name} x{budget} {objective}: " +
                            "; ".join(f"{item.code} {item.message}" for item in result.diagnostics))
            continue
        if engine != "deepspeed":  # a DeepSpeed config names no model; its derivation is checked below
            _check_derived(planned, config)
        else:
            loaded = load_text("ds.json", config.text)
            deployment = derive(adapt(loaded)[0], planned.model)
            assert deployment.gpus_per_replica == planned.gpus_per_replica and not deployment.rejections
        clean += 1
    return clean, no_plan, failures


@pytest.mark.parametrize("engine, full", [("vllm", True), ("sglang", False), ("trtllm", False),
                                          ("deepspeed", False), ("parlint", False)])
def test_every_emitted_config_lints_clean(engine: str, full: bool) -> None:
    clean, no_plan, failures = _sweep(engine, full)
    assert not failures, "\n".join(failures[:10])
    assert clean > no_plan  # most of the product has a plan


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["plan", *argv])
    return code, out.getvalue(), err.getvalue()


def test_yaml_output_is_exactly_the_config_and_lints_clean(tmp_path: object) -> None:
    code, out, err = _run("deepseek-ai/DeepSeek-V3", "--gpus", "8", "--gpu", "H200", "--objective", "latency",
                          "--format", "yaml")
    assert code == 0 and not err
    data = yaml.safe_load(out)
    assert data == {"model": "deepseek-ai/DeepSeek-V3", "tensor-parallel-size": 8, "enable-expert-parallel": True,
                    "max-model-len": 32768}
    assert all(line.startswith("#") for line in out.splitlines() if ":" not in line or line.startswith("#"))
    result = lint_text("serve.yaml", out, Settings(gpu="H200"), RunOptions())
    assert result.diagnostics == []


def test_sglang_throughput_uses_attention_dp_inside_tp() -> None:
    code, out, _ = _run("deepseek-ai/DeepSeek-V3", "--gpus", "8", "--gpu", "H200", "--engine", "sglang",
                        "--format", "json")
    assert code == 0
    assert json.loads(out) == {"model-path": "deepseek-ai/DeepSeek-V3", "tp-size": 8, "ep-size": 8,
                               "attn-dp-size": 8, "context-length": 32768}


def test_text_output_has_mapping_log_memory_and_config() -> None:
    code, out, _ = _run("meta-llama/Llama-3.1-70B-Instruct", "--gpus", "8")
    assert code == 0
    for part in ("mapping: one stage, 4 GPUs per stage, attention TP 4, 2 replicas", "decision log:",
                 "1. structure:", "4. data:", "memory per GPU", "tensor-parallel-size: 4", "data-parallel-size: 2"):
        assert part in out


def test_copies_are_stated_when_the_engine_holds_one_replica() -> None:
    code, out, _ = _run("meta-llama/Llama-3.1-70B-Instruct", "--gpus", "8", "--engine", "trtllm", "--format", "yaml")
    assert code == 0
    assert "start 2 copies" in out
    assert yaml.safe_load(out)["tensor_parallel_size"] == 4


def test_no_plan_exits_1_with_the_reason() -> None:
    code, out, err = _run("deepseek-ai/DeepSeek-V3", "--gpus", "8", "--format", "yaml")
    assert code == 1 and out == ""
    assert "need 9 H100-80GB GPUs" in err and "the budget is 8" in err


@pytest.mark.parametrize("argv, text", [
    (("nobody/none", "--gpus", "8"), "not in the built-in catalog"),
    (("meta-llama/Llama-3.1-8B", "--gpus", "8", "--gpu", "TPU-v5"), "unknown GPU"),
])
def test_bad_input_is_a_message(argv: tuple[str, ...], text: str) -> None:
    code, out, err = _run(*argv)
    assert code == 1 and out == "" and text in err and "Traceback" not in err


def test_usage_errors_exit_2() -> None:
    code, _, _ = _run("meta-llama/Llama-3.1-8B")
    assert code == 2
