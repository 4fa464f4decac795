"""PL101 gpu-count: declared GPU supplies against the structurally derived count."""

from __future__ import annotations

from typing import Any

from parlint.linter.context import DeploymentFacts, LintContext
from parlint.linter.diagnostics import Finding, Range, Severity
from parlint.linter.mapping import Deployment, MoePhase, Rejection, Stage
from parlint.linter.plan import DeclaredPlan, GpuSupply, Sourced
from parlint.rules import gpu_count

FILE = "deploy.yaml"


def _at(value: Any, line: int, spelling: str = "") -> Sourced[Any]:
    return Sourced(value, FILE, Range.of(line, 3, line, 3 + len(str(value))), spelling)


def _plan(engine: str, **settings: Any) -> DeclaredPlan:
    plan = DeclaredPlan(engine, FILE, Range.of(1, 1, 20, 1), model=_at("meta-llama/Llama-3.1-70B-Instruct", 1))
    for line, (name, value) in enumerate(settings.items(), start=2):
        plan.settings[name] = _at(value, line, name.replace("_", "-"))
    return plan


def _deployment(plan: DeclaredPlan, replicas: int, stage_sizes: list[int], moe: MoePhase | None = None,
                degree_product: int = 0) -> Deployment:
    stages, first = [], 0
    for index, size in enumerate(stage_sizes):
        gpus = tuple(range(first, first + size))
        stages.append(Stage(index, (index * 10, index * 10 + 10), gpus, attn_tp=size, ffn_tp=size, moe=moe))
        first += size
    return Deployment(plan, None, replicas, stages, degree_product=degree_product)


def _run(deployment: Deployment, *supplies: GpuSupply) -> list[Finding]:
    deployment.plan.supply.extend(supplies)
    return list(gpu_count.check(LintContext(FILE, deployments=[DeploymentFacts(deployment)])))


def _supply(count: int, scope: str, what: str, units: int = 1, line: int = 15) -> GpuSupply:
    return GpuSupply(_at(count, line), scope, what, units)


def test_pod_that_sees_fewer_gpus_than_tp_is_an_error_quoting_vllm() -> None:
    plan = _plan("vllm", tp=4)
    [found] = _run(_deployment(plan, 1, [4]), _supply(1, "node", "nvidia.com/gpu limit"))
    assert found.severity is None
    assert found.range.start.line == 15
    assert "nvidia.com/gpu limit provides 1 GPU per node but the mapping needs 4" in found.message
    assert '"World size (4) is larger than the number of available GPUs (1) in this node"' in found.message
    assert found.suggestion is not None and found.suggestion.mapping["gpus_total"] == 4
    assert any("tensor-parallel-size" in item.message or "tp 4" in item.message for item in found.related)


def test_dp_replicas_each_need_their_own_gpus() -> None:
    plan = _plan("vllm", tp=4, dp=2)
    [found] = _run(_deployment(plan, 2, [4]), _supply(4, "node", "nvidia.com/gpu limit"))
    assert "needs 8 (2 replicas x 1 stage x 4 GPUs)" in found.message
    # Each process sees the 4 GPUs one rank needs, so vLLM's world-size check is not the failure to quote.
    assert "World size" not in found.message


def test_exact_supply_is_clean_in_all_scopes() -> None:
    plan = _plan("vllm", tp=8, pp=2, nnodes=2)
    deployment = _deployment(plan, 1, [8, 8])
    assert _run(deployment, _supply(8, "node", "nvidia.com/gpu limit", units=2),
                _supply(16, "total", "plan gpus"), _supply(8, "process", "CUDA_VISIBLE_DEVICES")) == []


def test_more_gpus_than_needed_is_a_waste_warning() -> None:
    plan = _plan("vllm", tp=4)
    [found] = _run(_deployment(plan, 1, [4]), _supply(8, "node", "nvidia.com/gpu limit"))
    assert found.severity is Severity.WARNING
    assert "uses 4 (1 replica x 1 stage x 4 GPUs): 4 would sit idle" in found.message


def test_mechanical_product_is_named_and_is_an_error() -> None:
    plan = _plan("sglang", tp=8, ep=8)
    moe = MoePhase(ep=8, expert_tp=1, experts_per_gpu=(32, 32))
    [found] = _run(_deployment(plan, 1, [8], moe=moe, degree_product=64), _supply(64, "total", "plan gpus"))
    assert found.severity is None
    assert "64 = TP 8 x EP 8, the mechanical product; EP reuses the TP GPUs: the structure needs 8" in found.message


def test_vllm_dp_ep_mechanical_product_names_the_shared_group() -> None:
    plan = _plan("vllm", dp=8, enable_ep=True)
    moe = MoePhase(ep=8, expert_tp=1, experts_per_gpu=(32, 32))
    [found] = _run(_deployment(plan, 1, [8], moe=moe), _supply(64, "total", "SkyPilot accelerators"))
    assert "64 = DP 8 x EP 8, the mechanical product; EP reuses the TP x DP GPUs" in found.message


def test_node_count_times_gpus_per_node_must_match_the_total() -> None:
    plan = _plan("vllm", tp=8, pp=2)
    [found] = _run(_deployment(plan, 1, [8, 8]), _supply(8, "node", "LeaderWorkerSet pods", units=3))
    assert "24 GPUs in all (3 nodes x 8) but the mapping uses 16" in found.message


def test_vllm_local_dp_ranks_set_the_per_node_need() -> None:
    plan = _plan("vllm", tp=2, dp=4, dp_local=2)
    found = _run(_deployment(plan, 4, [2]), _supply(4, "process", "CUDA_VISIBLE_DEVICES"))
    assert found == []
    [short] = _run(_deployment(plan, 4, [2]), _supply(2, "process", "CUDA_VISIBLE_DEVICES", line=16))
    assert "2 GPUs per engine process but the mapping needs 4" in short.message


def test_no_stages_or_bad_counts_stay_silent() -> None:
    plan = _plan("vllm", tp=4)
    assert _run(Deployment(plan, None, 1, []), _supply(1, "node", "nvidia.com/gpu limit")) == []
    assert _run(_deployment(_plan("vllm", tp=4), 1, [4]), _supply(0, "node", "nvidia.com/gpu limit")) == []


def test_mii_device_map_that_does_not_match_the_replicas() -> None:
    plan = _plan("mii", tp=4, replicas=2)
    plan.settings["device_map"] = _at({"localhost": [[0, 1, 2, 3]]}, 9, "device_map")
    rejection = Rejection("mii-device-map-replicas", "Only able to place 1 replicas, but 2 replicas were requested.",
                          (plan.settings["device_map"], plan.settings["replicas"]))
    deployment = _deployment(plan, 2, [4])
    deployment.rejections.append(rejection)
    [found] = _run(deployment)
    assert found.range.start.line == 9
    assert ('MII fails with "Only able to place 1 replicas, but 2 replicas were requested."; 2 replicas of '
            "tensor_parallel 4 need 2 groups of 4 GPUs, 8 GPUs in all") in found.message
    assert [item.message for item in found.related] == ["replicas 2"]


def test_surplus_nodes_are_counted_in_all_and_the_engine_keeps_its_own_node_size() -> None:
    plan = _plan("sglang", tp=8, ep=8)
    moe = MoePhase(ep=8, expert_tp=1, experts_per_gpu=(32, 32))
    [found] = _run(_deployment(plan, 1, [8], moe=moe, degree_product=64),
                   _supply(8, "node", "SkyPilot accelerators H200:8", units=8))
    assert found.message.startswith("SkyPilot accelerators H200:8 declares 64 GPUs in all (8 nodes x 8): 64 = TP 8")
    assert found.suggestion is not None and found.suggestion.summary == "provide 8 GPUs (8 per node)"


def test_several_nodes_short_in_total_report_the_total_without_the_single_node_engine_error() -> None:
    plan = _plan("vllm", tp=8, pp=4)
    [found] = _run(_deployment(plan, 1, [8, 8, 8, 8]), _supply(8, "node", "LeaderWorkerSet pods", units=2))
    assert found.message.startswith("LeaderWorkerSet pods provides 16 GPUs in all (2 nodes x 8) but the mapping "
                                    "needs 32 (1 replica x 4 stages x 8 GPUs)")
    assert "World size" not in found.message


def test_vllm_local_dp_share_smaller_than_the_pod_is_idle() -> None:
    plan = _plan("vllm", tp=2, dp=4, dp_local=2)
    [found] = _run(_deployment(plan, 4, [2]), _supply(8, "node", "nvidia.com/gpu limit"))
    assert found.severity is Severity.WARNING
    assert "provides 8 GPUs per node but the mapping uses 4" in found.message


def test_gpus_that_do_not_split_over_the_nodes_point_at_nnodes() -> None:
    plan = _plan("vllm", tp=8, pp=2, nnodes=3)
    message = ("--nnodes 3 must evenly divide the total world size (16). Adjust --nnodes, --data-parallel-size, "
               "--pipeline-parallel-size, --tensor-parallel-size, or --prefill-context-parallel-size.")
    rejection = Rejection("vllm-world-not-divisible-by-nnodes", message,
                          (plan.settings["nnodes"], plan.settings["tp"], plan.settings["pp"]))
    deployment = _deployment(plan, 1, [8, 8])
    deployment.rejections.append(rejection)
    [found] = _run(deployment)
    assert found.range == plan.settings["nnodes"].range
    assert found.message.startswith("the mapping's 16 GPUs do not split evenly over 3 nodes: \"--nnodes 3 must")
    assert found.message.endswith("; node counts that divide 16: 1, 2, 4")
    assert [item.message for item in found.related] == ["tp 8", "pp 2"]


def test_sglang_counts_one_replica_over_the_nodes() -> None:
    plan = _plan("sglang", tp=8, nnodes=3)
    rejection = Rejection("sglang-tp-pp-not-divisible-by-nnodes", "tp_size must be divisible by number of nodes",
                          (plan.settings["tp"], plan.settings["nnodes"]))
    deployment = _deployment(plan, 1, [8])
    deployment.rejections.append(rejection)
    [found] = _run(deployment)
    assert found.range == plan.settings["nnodes"].range
    assert "8 GPUs do not split evenly over 3 nodes" in found.message


def test_node_rank_counted_from_one_points_at_the_rank_and_suggests_the_last_node() -> None:
    plan = _plan("vllm", tp=8, pp=2, nnodes=2, node_rank=2)
    deployment = _deployment(plan, 1, [8, 8])
    deployment.rejections.append(Rejection("vllm-node-rank-out-of-range", "--node-rank must be between 0 and 1",
                                           (plan.settings["node_rank"], plan.settings["nnodes"])))
    [found] = _run(deployment)
    assert found.range == plan.settings["node_rank"].range
    assert found.message.startswith('node rank 2 is not one of the 2 nodes: vLLM fails with "--node-rank must be '
                                    'between 0 and 1"; node ranks count from 0, so --nnodes 2 takes ranks 0 ')
    assert [item.message for item in found.related] == ["model meta-llama/Llama-3.1-70B-Instruct", "nnodes 2"]
    assert found.suggestion is not None and found.suggestion.mapping == {"node_rank": 1}


def test_node_rank_far_out_of_range_has_no_guessed_rank() -> None:
    plan = _plan("vllm", tp=8, nnodes=2, node_rank=5)
    deployment = _deployment(plan, 1, [8])
    deployment.rejections.append(Rejection("vllm-node-rank-out-of-range", "--node-rank must be between 0 and 1",
                                           (plan.settings["node_rank"], plan.settings["nnodes"])))
    [found] = _run(deployment)
    assert "counted from 1" not in found.message and found.suggestion is None


def test_nnodes_with_ray_points_at_the_backend_and_names_both_ways_out() -> None:
    plan = _plan("vllm", tp=8, pp=2, executor_backend="ray", nnodes=2)
    message = "nnodes > 1 can only be set when distributed executor backend is mp, uni or external_launcher."
    deployment = _deployment(plan, 1, [8, 8])
    deployment.rejections.append(Rejection("vllm-nnodes-executor-backend", message,
                                           (plan.settings["nnodes"], plan.settings["executor_backend"])))
    [found] = _run(deployment)
    assert found.range == plan.settings["executor_backend"].range
    assert found.message.startswith(f"--nnodes 2 with executor backend 'ray': vLLM fails with \"{message}\"")
    assert "remove executor-backend and start the command on each of the 2 nodes" in found.message
    assert "or remove --nnodes and start the ray cluster across the nodes" in found.message
    assert "nnodes 2" in [item.message for item in found.related]
    assert found.suggestion is not None and found.suggestion.mapping == {"executor_backend": "mp", "nnodes": 2}
