"""PL201 data-parallel-scope: whole-model replicas, not a latency tool, engine DP semantics."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, Rejection, Stage
from parlint.linter.models.structure import Attention, ModelStructure
from parlint.linter.plan import DeclaredPlan, DeclaredStage, Sourced
from parlint.rules import data_parallel_scope as rule

FILE = "plan.yaml"
LLAMA_70B = ModelStructure("meta-llama/Llama-3.1-70B", "LlamaForCausalLM", 80, 8192, 128256,
                           Attention("gqa", 64, 8, 128), 28672)


def _at(value: Any, line: int, spelling: str = "") -> Sourced[Any]:
    return Sourced(value, FILE, Range.of(line, 3, line, 3 + len(str(value))), spelling)


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 12, 1), model=_at("meta-llama/Llama-3.1-70B-Instruct", 1))
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = _at(value, line, name.replace("_", "-"))
    return plan


def _run(plan: DeclaredPlan, replicas: int = 1, tp: int = 8, model: ModelStructure | None = LLAMA_70B,
         objective: str | None = None, rejections: tuple[Rejection, ...] = (),
         gpus_per_node: int | None = 8) -> list[Finding]:
    stage = Stage(0, (0, 80), tuple(range(tp)), attn_tp=tp, ffn_tp=tp)
    deployment = Deployment(plan, model, replicas, [stage], gpus_per_node, list(rejections))
    facts = DeploymentFacts(deployment, objective=objective)
    return list(rule.check(LintContext(FILE, deployments=[facts])))


def _stage(first: int, last: int, line: int) -> DeclaredStage:
    return DeclaredStage((first, last), tuple(range(8)), 8, None, FILE, Range.of(line, 5, line, 40))


def test_replicas_that_split_the_model_are_rejected() -> None:
    plan = _plan("parlint", replicas=2)
    plan.stages = [_stage(0, 40, 8)]
    [found] = _run(plan, replicas=2)
    assert found.range.start.line == 8
    assert ("the replica's stages hold layers [0, 40) of the 80 layers of meta-llama/Llama-3.1-70B; layers "
            "[40, 80) are on no stage") in found.message
    assert "2 replicas do not add up to one model" in found.message
    assert [item.message for item in found.related] == ["2 replicas"]


def test_stages_that_cover_the_model_are_clean_and_missing_front_layers_point_at_the_first_stage() -> None:
    plan = _plan("parlint")
    plan.stages = [_stage(0, 40, 8), _stage(40, 80, 9)]
    assert _run(plan) == []
    plan.stages = [_stage(2, 40, 8), _stage(40, 80, 9)]
    [found] = _run(plan)
    assert found.range.start.line == 8 and "layers [0, 2) are on no stage" in found.message


def test_dp_for_latency_with_tp_room_left() -> None:
    plan = _plan("vllm", tp=4, dp=2)
    [found] = _run(plan, replicas=2, tp=4, objective="latency")
    assert found.range.start.line == 3
    assert found.message.startswith("DP 2 does not reduce a request's latency")
    assert "use the same 8 GPUs as TP 8:" in found.message
    assert found.suggestion is not None and found.suggestion.mapping == {"tp": 8, "dp": 1}


def test_dp_is_fine_for_throughput_or_when_tp_is_already_at_the_node() -> None:
    assert _run(_plan("vllm", tp=4, dp=2), replicas=2, tp=4, objective="throughput") == []
    assert _run(_plan("vllm", tp=8, dp=2), replicas=2, tp=8, objective="latency") == []
    assert _run(_plan("vllm", tp=4, dp=2), replicas=2, tp=4, objective="latency", model=None) == []


def test_deprecated_dp_attention_without_dp_is_a_noop_warning() -> None:
    plan = _plan("sglang", tp=8, enable_attention_dp=True)
    [found] = _run(plan)
    assert found.severity is Severity.WARNING
    assert "without a DP degree does nothing" in found.message
    assert _run(_plan("sglang", tp=8, dp=8, enable_attention_dp=True)) == []
    assert _run(_plan("trtllm", tp=8, enable_attention_dp=True)) == []


def test_engine_dp_rejections_keep_the_engine_words_and_add_the_remedy() -> None:
    plan = _plan("sglang", tp=8, dp=2, nnodes=2)
    rejection = Rejection("sglang-multinode-dp", "multi-node data-parallel replicas are not supported; use "
                          "attention DP (--attn-dp-size) across nodes", (plan.settings["dp"], plan.settings["nnodes"]))
    [found] = _run(plan, replicas=2, rejections=(rejection,))
    assert found.range.start.line == 3
    assert found.message.startswith("--dp-size 2 across --nnodes 2: multi-node data-parallel replicas are not "
                                    "supported")
    assert "run 2 SGLang servers of TP 8 (one replica each) behind sglang_router" in found.message
    assert [item.message for item in found.related] == ["nnodes 2"]


def test_unrelated_rejections_are_left_to_their_rules() -> None:
    plan = _plan("vllm", tp=8, pp=4, pp_partition=[20, 20, 40])
    rejection = Rejection("pp-partition-length", "len(partitions)=3 does not match pp_size=4.",
                          (plan.settings["pp_partition"],))
    assert _run(plan, rejections=(rejection,)) == []


def test_vllm_replica_groups_that_do_not_tile_the_nodes_point_at_the_local_dp_size() -> None:
    plan = _plan("vllm", tp=4, dp=4, dp_local=1, nnodes=2)
    message = ("Invalid data parallel configuration: nnodes (2) must be divisible by the number of data parallel "
               "node groups (4)")
    rejection = Rejection(rule.NODE_GROUPS, message, (plan.settings["nnodes"], plan.settings["dp"]))
    [found] = _run(plan, replicas=4, tp=4, rejections=(rejection,))
    assert found.range.start.line == 4  # dp_local, the value to change
    assert found.message.startswith(message)
    assert "write data-parallel-size-local 2 (4 replicas / 2 nodes)" in found.message
    assert sorted(item.message for item in found.related) == ["dp 4", "nnodes 2"]
    assert found.suggestion is not None and found.suggestion.mapping == {"dp_local": 2}


def test_vllm_replicas_that_cannot_be_spread_over_the_nodes_point_at_the_dp_size() -> None:
    plan = _plan("vllm", tp=4, dp=3, nnodes=2)
    rejection = Rejection(rule.NODE_GROUPS, "Invalid data parallel configuration: nnodes (2) must be divisible by "
                          "the number of data parallel node groups (3)", (plan.settings["nnodes"],))
    [found] = _run(plan, replicas=3, tp=4, rejections=(rejection,))
    assert found.range.start.line == 3
    assert "use a DP size that is a multiple of 2 (2, 4, 6, 8, ...)" in found.message
    assert found.suggestion is None


def test_local_dp_size_above_the_dp_size_is_refused() -> None:
    plan = _plan("vllm", tp=4, dp=2, dp_local=4)
    rejection = Rejection("vllm-dp-local-exceeds-dp", "data_parallel_size_local (4) must be <= data_parallel_size (2)",
                          (plan.settings["dp_local"], plan.settings["dp"]))
    [found] = _run(plan, replicas=2, tp=4, rejections=(rejection,))
    assert found.range.start.line == 4 and "at most data-parallel-size" in found.message


def test_sglang_attention_dp_not_dividing_tp_points_at_the_attention_dp_size() -> None:
    plan = _plan("sglang", tp=8, attn_dp=3)
    rejection = Rejection("sglang-tp-not-divisible-by-attn-dp", "assert cfg.tp_size % cfg.attn_dp_size == 0 "
                          "(tp_size=8, attn_dp_size=3)", (plan.settings["tp"], plan.settings["attn_dp"]))
    [found] = _run(plan, rejections=(rejection,))
    assert found.range == plan.settings["attn_dp"].range
    assert found.message.endswith("use an attn-dp-size that divides TP 8: 1, 2, 4, 8")
    assert [item.message for item in found.related] == ["tp 8"]


def test_vllm_dp_rank_outside_the_ranks_quotes_vllm_and_lists_the_ranks() -> None:
    plan = _plan("vllm", dp=4, dp_rank=4)
    rejection = Rejection("vllm-dp-rank-out-of-range", "data_parallel_rank (4) must be in the range [0, 4)",
                          (plan.settings["dp_rank"], plan.settings["dp"]))
    [found] = _run(plan, tp=1, rejections=(rejection,))
    assert found.range == plan.settings["dp_rank"].range
    assert found.message == ("data_parallel_rank (4) must be in the range [0, 4); with an external load balancer "
                             "each server is one DP rank, numbered from 0: --data-parallel-size 4 takes ranks 0 to 3")
    assert [item.message for item in found.related] == ["dp 4"]
