"""derive() against the arithmetic and error texts of shared/reference/frameworks.md (§1.3-§1.7, §2.3-§2.7,
§3.3, §4.3/§4.6, §6) that tests/test_derive.py does not already pin."""

from __future__ import annotations

from parlint.linter.derive import MAX_WORLD_SIZE, WORLD_SIZE_LIMIT, sglang_split, trtllm_split, vllm_split
from parlint.linter.mapping import Deployment
from tests.structures import DEEPSEEK_V3, LLAMA_3_1_70B, MIXTRAL_8X7B
from tests.test_derive import build, kinds


def message(deployment: Deployment, kind: str) -> str:
    [found] = [rejection.message for rejection in deployment.rejections if rejection.kind == kind]
    return found


# §6 "Total GPUs" row.

def test_vllm_gpus_are_tp_pp_pcp_dp_and_dcp_adds_none() -> None:
    # §1.3: Total GPUs = TP x PP x PCP x DP; DCP reuses TP ranks.
    assert build("vllm", LLAMA_3_1_70B, tp=4, pp=2, cp=2, dp=3).gpus_total == 48
    assert build("vllm", LLAMA_3_1_70B, tp=8, dcp=4).gpus_total == 8


def test_vllm_moe_expert_group_spans_tp_dp_pcp() -> None:
    # §1.3 FusedMoEParallelConfig.make: without EP, MoE tp = TP x DP x PCP, ep = 1; with EP the reverse.
    [stage] = build("vllm", DEEPSEEK_V3, tp=2, dp=2, cp=2).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (1, 8)
    [stage] = build("vllm", DEEPSEEK_V3, tp=2, dp=2, cp=2, enable_ep=True).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (8, 1)
    # use_ep needs the flattened group > 1: EP on one GPU is no EP.
    [stage] = build("vllm", DEEPSEEK_V3, enable_ep=True).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (1, 1)


def test_vllm_uneven_expert_split_gives_the_first_ranks_one_more() -> None:
    # §1.5 determine_expert_map: base = E // ep, the first E % ep ranks hold base + 1.
    [stage] = build("vllm", MIXTRAL_8X7B, tp=3, enable_ep=True).stages
    assert stage.moe is not None and stage.moe.experts_per_gpu == (2, 3) and not kinds(build(
        "vllm", MIXTRAL_8X7B, tp=3, enable_ep=True))


def test_sglang_gpus_are_dp_tp_pp_with_everything_else_inside_tp() -> None:
    # §2.3: GPUs = DP x TP x PP; attention DP, attention CP, EP, MoE DP and DCP fold into TP.
    assert build("sglang", DEEPSEEK_V3, tp=8, pp=2, dp=1, attn_dp=4, ep=8, dcp=2).gpus_total == 16
    [stage] = build("sglang", DEEPSEEK_V3, tp=8, attn_dp=2, cp=2).stages
    assert (stage.attn_tp, stage.attn_dp, stage.cp) == (2, 2, 2)  # attn_tp = tp // attn_dp // attn_cp
    [stage] = build("sglang", DEEPSEEK_V3, tp=8, ep=2, moe_dp=2).stages
    assert stage.moe is not None and stage.moe.expert_tp == 2  # moe_tp = tp // ep // moe_dp


def test_trtllm_gpus_are_tp_pp_cp_and_helix_widens_the_moe_world() -> None:
    # §4.3: GPUs = TP x PP x CP; moe_world_size = tp (ULYSSES) or tp x cp (other CP types).
    assert build("trtllm", LLAMA_3_1_70B, tp=4, pp=2, cp=2).gpus_total == 16
    [stage] = build("trtllm", DEEPSEEK_V3, tp=4, cp=2, cp_type="helix", ep=8).stages
    assert stage.moe is not None and (stage.moe.ep, stage.moe.expert_tp) == (8, 1)
    assert not kinds(build("trtllm", DEEPSEEK_V3, tp=4, cp=2, cp_type="helix", ep=8))


def test_mii_and_deepspeed_gpu_counts() -> None:
    # §3.3: MII total = tensor_parallel x replica_num; DeepSpeed's TP group is ranks 0..tp-1, experts replicated.
    assert build("mii", None, tp=4, replicas=3).gpus_total == 12
    [stage] = build("deepspeed", None, tp=2, moe_experts=[8]).stages
    assert stage.gpus == (0, 1) and stage.moe is not None and stage.moe.experts_per_gpu == (8, 8)


# Uneven pipeline splits (§1.7, §2.7, §4.6, §6 "PP uneven default").

def test_uneven_pipeline_splits() -> None:
    assert vllm_split(62, 4) == [15, 16, 16, 15]  # partitions[-2], [-3]: never the last
    assert sglang_split(62, 4) == [15, 15, 16, 16]  # the last `rem` stages
    assert trtllm_split(62, 4) == [16, 16, 15, 15]  # the first `rem` stages (torch.tensor_split)
    # vLLM has no num_hidden_layers >= pp check: zero-layer stages are possible.
    assert vllm_split(2, 4) == [0, 1, 1, 0]


def test_sglang_partition_messages_match_get_pp_indices() -> None:
    # §2.7: the same checks and messages as vLLM's get_pp_indices.
    wrong = build("sglang", DEEPSEEK_V3, tp=8, pp=2, pp_partition=[30, 30])
    assert message(wrong, "pp-partition-sum") == "sum(partitions)=60 does not match num_hidden_layers=61."
    short = build("trtllm", DEEPSEEK_V3, pp=2, pp_partition=[61])
    assert message(short, "pp-partition-length") == "len(self.pp_partition)=1 does not match self.pp_size=2."


# Rejection conditions and their exact texts.

def test_vllm_rejection_texts() -> None:
    # §1.4 ParallelConfig._validate_parallel_config / __post_init__ / EngineArgs.create_engine_config.
    assert message(build("vllm", LLAMA_3_1_70B, dp=2, dp_local=4), "vllm-dp-local-exceeds-dp") == (
        "data_parallel_size_local (4) must be <= data_parallel_size (2)")
    assert message(build("vllm", DEEPSEEK_V3, dp=2, dp_rank=2), "vllm-dp-rank-out-of-range") == (
        "data_parallel_rank (2) must be in the range [0, 2)")
    assert message(build("vllm", DEEPSEEK_V3, enable_ep=True, eplb=True), "vllm-eplb-without-parallelism") == (
        "EPLB requires tensor, prefill-context, or data parallelism, but got TP=1, PCP=1, DP=1.")
    assert message(build("vllm", DEEPSEEK_V3, tp=8, dcp=3), "vllm-dcp-not-dividing-tp") == (
        "tp_size=8 must be divisible by dcp_size=3.")
    assert message(build("vllm", LLAMA_3_1_70B, tp=8, nnodes=2, node_rank=2), "vllm-node-rank-out-of-range") == (
        "--node-rank must be between 0 and 1")
    assert message(build("vllm", LLAMA_3_1_70B, tp=8, nnodes=2, executor_backend="ray"),
                   "vllm-nnodes-executor-backend") == (
        "nnodes > 1 can only be set when distributed executor backend is mp, uni or external_launcher.")
    assert not kinds(build("vllm", LLAMA_3_1_70B, tp=8, nnodes=2, executor_backend="mp"))
    assert message(build("vllm", LLAMA_3_1_70B, tp=6, nnodes=4), "vllm-world-not-divisible-by-nnodes") == (
        "--nnodes 4 must evenly divide the total world size (6). Adjust --nnodes, --data-parallel-size, "
        "--pipeline-parallel-size, --tensor-parallel-size, or --prefill-context-parallel-size.")
    # nnodes % (dp // dp_local): 2 nodes cannot hold 4 DP node groups (one DP rank per node).
    grouped = build("vllm", DEEPSEEK_V3, tp=2, dp=4, dp_local=1, nnodes=2)
    assert "vllm-world-not-divisible-by-nnodes" not in kinds(grouped)
    assert message(grouped, "vllm-nnodes-not-divisible-by-dp-groups") == (
        "Invalid data parallel configuration: nnodes (2) must be divisible by the number of data parallel node "
        "groups (4)")


def test_vllm_dp_local_resolves_from_nnodes() -> None:
    # §1.3: nnodes > 1 -> data_parallel_size_local = max(world // nnodes // (PP x TP x PCP), 1).
    assert not kinds(build("vllm", DEEPSEEK_V3, tp=8, dp=4, nnodes=2, enable_ep=True))


def test_sglang_rejection_texts() -> None:
    # §2.4 parallel_hook / validation_hook texts.
    assert message(build("sglang", DEEPSEEK_V3, tp=8, dp=2, attn_dp=8), "sglang-dp-with-attn-dp") == (
        "--dp-size 2 with --attn-dp-size 8: data-parallel replicas combined with attention data parallelism are "
        "not supported.")
    assert message(build("sglang", DEEPSEEK_V3, tp=8, cp=3), "sglang-tp-not-divisible-by-attn-cp") == (
        "tp_size must be divisible by attn_cp_size")
    assert message(build("sglang", DEEPSEEK_V3, tp=8, cp=2, attn_dp=8), "sglang-tp-not-divisible-by-attn-cp") == (
        "tp_size must be divisible by attn_dp_size * attn_cp_size")
    assert message(build("sglang", LLAMA_3_1_70B, tp=8, dp=2, nnodes=2), "sglang-multinode-dp") == (
        "multi-node data-parallel replicas are not supported; use attention DP (--attn-dp-size) across nodes")
    assert message(build("sglang", LLAMA_3_1_70B, tp=4, nnodes=3), "sglang-tp-pp-not-divisible-by-nnodes") == (
        "tp_size must be divisible by number of nodes")
    assert message(build("sglang", DEEPSEEK_V3, tp=8, moe_dense_tp=2), "sglang-moe-dense-tp") == (
        "moe_dense_tp_size only supports None, 1, or tp_size currently")
    assert message(build("sglang", DEEPSEEK_V3, tp=8, dcp=3), "sglang-dcp-not-dividing-tp") == (
        "tensor_model_parallel_size (8) must be divisible by decode_context_parallel_size (3)")
    assert message(build("sglang", DEEPSEEK_V3, tp=8, ep=3), "sglang-tp-not-divisible-by-ep") == (
        "tp_size 8 must be divisible by ep_size 3")
    # §2.5: redundant experts count towards the routed experts EP must divide (256 + 4 over 8).
    assert "sglang-experts-not-divisible-by-ep" in kinds(build("sglang", DEEPSEEK_V3, tp=8, ep=8,
                                                               redundant_experts=4))
    assert not kinds(build("sglang", DEEPSEEK_V3, tp=8, ep=8, redundant_experts=8))


def test_trtllm_rejection_texts() -> None:
    # §4.3 MappingBase.__init__.
    assert message(build("trtllm", DEEPSEEK_V3, tp=8, ep=3), "trtllm-moe-tp-ep-product") == (
        "moe_tp_size * moe_ep_size * moe_cluster_size must equal to moe_world_size, but got 2 * 3 * 1 != 8")
    both = build("trtllm", DEEPSEEK_V3, tp=8, ep=4, moe_cluster=2)
    assert message(both, "trtllm-moe-cluster-with-ep") == "moe_cluster_size > 1 requires moe_ep_size == 1"
    assert not kinds(build("trtllm", DEEPSEEK_V3, tp=8, moe_cluster=2))
    assert message(build("trtllm", DEEPSEEK_V3, tp=4, cp=2, ep=4), "trtllm-cp-moe") == (
        "CP ULYSSES doesn't support MoE tp/ep yet")


def test_deepspeed_and_mii_rejection_texts() -> None:
    # §3.4 MoE.__init__, §3.5 InferenceEngine._load_checkpoint, §3.3 _allocate_devices.
    assert message(build("deepspeed", None, tp=4, ep=3, moe_experts=[64]), "deepspeed-experts-not-divisible-by-ep") \
        == "Number of experts (64) should be divisible by expert parallel size (3)"
    assert message(build("deepspeed", LLAMA_3_1_70B, pp=2), "deepspeed-no-pp") == (
        "pipeline parallelism is currently not supported in inference.")
    assert message(build("mii", None, tp=2, replicas=1, device_map={"h": [[0, 1], [2, 3]]}),
                   "mii-device-map-replicas") == (
        "Device map contains 2 mappings, but only 1 replicas were requested. There must be a 1:1 mapping.")
    assert message(build("mii", None, tp=2, replicas=1, device_map={"h": [[0, 1, 2]]}),
                   "mii-device-map-group-size") == (
        "Number of devices must match tensor_parallel. Found 3 devices for host h, but tensor_parallel=2")


def test_hostile_degrees_are_refused_before_layout() -> None:
    refused = build("vllm", None, tp=MAX_WORLD_SIZE + 1)
    assert kinds(refused) == {WORLD_SIZE_LIMIT} and refused.stages == []
