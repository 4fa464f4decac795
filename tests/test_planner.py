"""The planner: the seed's order, engine guides, budgets that do not fit, objectives.

Deployment guides the expected mappings come from:

- vLLM recipe "DeepSeek-V3 (R1) Usage Guide", 8xH200 (FP8)
  (https://docs.vllm.ai/projects/recipes/en/latest/DeepSeek/DeepSeek-V3.html): "Tensor Parallel + Expert
  Parallel (TP8+EP)" (``--tensor-parallel-size 8 --enable-expert-parallel``, "better for low-latency") and
  "Data Parallel + Expert Parallel (DP8+EP)" (``--data-parallel-size 8 --enable-expert-parallel``, "better for
  high-load workloads").
- SGLang "DeepSeek V3/V3.1/R1 Usage" (https://docs.sglang.io/docs/basic_usage/deepseek_v3.md): FP8 on 8 x H200
  with ``--tp 8``; DP attention for throughput ``--tp 8 --dp 8 --enable-dp-attention`` (today
  ``--attn-dp-size 8``); EP ``--tp 8 --ep 8``.
- vLLM "Distributed inference" docs: Llama-3.1-70B-Instruct with ``tensor_parallel_size=4`` on one node
  (two such replicas fill 8 H100s) or TP 8 over the whole node.
"""

from __future__ import annotations

import pytest

from parlint.linter.constraints import tp_problems
from parlint.linter.models.catalog import lookup
from parlint.linter.models.hardware import find_gpu
from parlint.linter.planner import NoPlan, PlannedDeployment, plan_deployment


def _plan(model_id: str, gpus: int, gpu: str = "H100-80GB", engine: str = "vllm",
          objective: str = "throughput") -> PlannedDeployment | NoPlan:
    hit = lookup(model_id)
    spec = find_gpu(gpu)
    assert hit is not None and spec is not None
    return plan_deployment(hit.structure, gpus=gpus, gpu=spec, gpus_per_node=8, engine=engine, objective=objective)


def _planned(*args: object, **kwargs: object) -> PlannedDeployment:
    planned = _plan(*args, **kwargs)  # type: ignore[arg-type]
    assert isinstance(planned, PlannedDeployment), getattr(planned, "reason", planned)
    return planned


@pytest.mark.parametrize("engine", ["vllm", "sglang", "trtllm"])
def test_deepseek_v3_on_8_h200_follows_the_engine_guides(engine: str) -> None:
    latency = _planned("deepseek-ai/DeepSeek-V3", 8, "H200", engine, "latency")
    assert (latency.pp, latency.stage_size, latency.attn_tp, latency.attn_dp, latency.ep) == (1, 8, 8, 1, 8)
    throughput = _planned("deepseek-ai/DeepSeek-V3", 8, "H200", engine, "throughput")
    assert (throughput.pp, throughput.stage_size, throughput.attn_tp, throughput.attn_dp, throughput.ep) == \
        (1, 8, 1, 8, 8)
    assert latency.replicas == throughput.replicas == 1
    assert throughput.experts_per_gpu == 32


def test_llama_70b_on_8_h100_follows_the_engine_guides() -> None:
    latency = _planned("meta-llama/Llama-3.1-70B-Instruct", 8, objective="latency")
    assert (latency.pp, latency.attn_tp, latency.replicas) == (1, 8, 1)
    throughput = _planned("meta-llama/Llama-3.1-70B-Instruct", 8, objective="throughput")
    assert (throughput.pp, throughput.attn_tp, throughput.replicas) == (1, 4, 2)


def test_decision_log_follows_the_seed_order_with_reasons() -> None:
    planned = _planned("deepseek-ai/DeepSeek-V3", 16)
    assert [step.step for step in planned.steps] == ["structure", "structural", "operator", "data"]
    assert all(step.reason for step in planned.steps)
    structural = planned.steps[1]
    assert structural.degrees == {"pp": 2, "ep": 8}
    assert "cannot hold" in structural.reason
    assert "61 decoder layers" in planned.steps[0].reason and "256 routed experts" in planned.steps[0].reason


def test_weights_beyond_the_budget_name_the_gpus_needed() -> None:
    result = _plan("deepseek-ai/DeepSeek-V3", 8)
    assert isinstance(result, NoPlan)
    assert "need 9 H100-80GB GPUs" in result.reason and "the budget is 8" in result.reason
    assert [step.step for step in result.steps] == ["structure"]


def test_deepspeed_cannot_pipeline() -> None:
    result = _plan("meta-llama/Llama-3.1-405B", 16, engine="deepspeed")
    assert isinstance(result, NoPlan)
    assert "pipeline parallelism" in result.reason


def test_pipeline_only_for_memory_and_stages_within_nodes() -> None:
    planned = _planned("meta-llama/Llama-3.1-405B", 32)
    assert planned.pp == 2 and planned.stage_size == 8
    for stage in planned.stages:
        assert len({gpu // 8 for gpu in stage.gpus}) == 1
    assert [stage.layers for stage in planned.stages] == [(0, 63), (63, 126)]
    assert planned.replicas == 2
    small = _planned("meta-llama/Llama-3.1-8B", 8)
    assert small.pp == 1


def test_latency_never_adds_replicas() -> None:
    planned = _planned("meta-llama/Llama-3.1-8B", 16, objective="latency")
    assert planned.replicas == 1 and planned.attn_tp == 8
    assert "never lowers one request's latency" in planned.steps[3].reason
    assert _planned("meta-llama/Llama-3.1-8B", 16).replicas == 16


def test_tp_sizes_come_from_the_shared_constraints() -> None:
    # Falcon-7B: 71 heads, so no TP above 1 divides them.
    planned = _planned("tiiuae/falcon-7b", 8, objective="latency")
    assert planned.attn_tp == 1
    model = lookup("tiiuae/falcon-7b")
    assert model is not None and tp_problems(model.structure, "vllm", 2)


def test_moe_ep_divides_the_experts_evenly() -> None:
    planned = _planned("Qwen/Qwen1.5-MoE-A2.7B", 8, engine="sglang")
    assert 60 % planned.ep == 0 and planned.ep == 4


def test_trtllm_attention_dp_is_all_or_nothing() -> None:
    planned = _planned("Qwen/Qwen3-235B-A22B", 8, engine="trtllm")
    assert planned.attn_tp in (1, planned.stage_size)


def test_mapping_and_summary_describe_the_same_plan() -> None:
    planned = _planned("Qwen/Qwen3-30B-A3B", 16, "A100-40GB")
    data = planned.mapping()
    assert data["gpus_total"] == planned.gpus_used == 16
    assert data["ep"] == planned.ep and data["replicas"] == planned.replicas
    assert f"EP {planned.ep}" in planned.summary()


@pytest.mark.parametrize("kwargs, text", [
    ({"engine": "nope"}, "unknown engine"),
    ({"objective": "cost"}, "unknown objective"),
    ({"gpus": 0}, "at least 1"),
])
def test_bad_arguments_are_no_plan(kwargs: dict[str, object], text: str) -> None:
    model = lookup("meta-llama/Llama-3.1-8B")
    gpu = find_gpu("H100")
    assert model is not None and gpu is not None
    arguments: dict[str, object] = {"gpus": 8, "gpu": gpu, "gpus_per_node": 8, "engine": "vllm",
                                    "objective": "latency"}
    arguments.update(kwargs)
    result = plan_deployment(model.structure, **arguments)  # type: ignore[arg-type]
    assert isinstance(result, NoPlan) and text in result.reason


def test_suggestion_for_a_tp_group_across_nodes_is_pp_2_tp_8() -> None:
    from parlint.linter.config import Settings
    from parlint.linter.runner import RunOptions, lint_text

    text = "model: meta-llama/Llama-3.1-405B\ntensor-parallel-size: 16\nnnodes: 2\n"
    found = lint_text("serve.yaml", text, Settings(gpu="H100-80GB"), RunOptions()).diagnostics
    spans = [item for item in found if item.code == "PL202" and "spans 2 nodes" in item.message]
    assert spans and spans[0].suggestion is not None
    mapping = spans[0].suggestion.mapping
    assert (mapping["pp"], mapping["tp"], mapping["gpus_total"]) == (2, 8, 16)
    assert spans[0].suggestion.summary.startswith("PP 2, 8 GPUs per stage, attention TP 8")
