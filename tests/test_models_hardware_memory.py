"""GPU name matching and the per-GPU memory model, pinned to known figures."""

from __future__ import annotations

import pytest

from parlint.linter.mapping import MoePhase, Stage
from parlint.linter.models.catalog import lookup
from parlint.linter.models.hardware import find_gpu, gpu_names
from parlint.linter.models.memory import (
    RUNTIME_OVERHEAD_BYTES,
    kv_bytes_per_token,
    kv_cache_capacity_tokens,
    quantized_bytes,
    stage_memory,
    weight_bytes,
)
from parlint.linter.models.structure import ModelStructure, Quantization

GB = 1e9


def model(model_id: str) -> ModelStructure:
    hit = lookup(model_id)
    assert hit is not None
    return hit.structure


@pytest.mark.parametrize("name, expected, domain", [
    ("NVIDIA-H100-80GB-HBM3", "H100-80GB", 8),
    ("nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3", "H100-80GB", 8),
    ("H100", "H100-80GB", 8),
    ("h100-pcie", "H100-PCIe-80GB", 1),
    ("NVIDIA H100 NVL", "H100-NVL-94GB", 2),
    ("A100", "A100-40GB", 8),
    ("A100-80GB", "A100-80GB", 8),
    ("NVIDIA-A100-SXM4-80GB", "A100-80GB", 8),
    ("NVIDIA-A100-PCIE-40GB", "A100-PCIe-40GB", 2),
    ("NVIDIA-H200", "H200-141GB", 8),
    ("H20", "H20-96GB", 8),
    ("GH200", "GH200-96GB", 1),
    ("l40s", "L40S", 1),
    ("NVIDIA-L4", "L4", 1),
    ("A10G", "A10G", 1),
    ("NVIDIA-B200", "B200", 8),
    ("GB200", "GB200", 72),
    ("AMD Instinct MI300X", "MI300X", 8),
    ("MI325X", "MI325X", 8),
    ("mi355x", "MI355X", 8),
])
def test_find_gpu_matches_user_spellings(name: str, expected: str, domain: int) -> None:
    spec = find_gpu(name)
    assert spec is not None
    assert (spec.name, spec.nvlink_domain) == (expected, domain)


@pytest.mark.parametrize("name", ["V100", "", "   ", "tpu-v5"])
def test_unknown_gpu(name: str) -> None:
    assert find_gpu(name) is None


def test_gpu_memory_sizes_are_plausible() -> None:
    assert 79 < find_gpu("H100").memory_gib < 80  # type: ignore[union-attr]
    assert 140 < find_gpu("H200").memory_gib < 141  # type: ignore[union-attr]
    assert 191 < find_gpu("MI300X").memory_gib <= 192  # type: ignore[union-attr]
    assert len(gpu_names()) >= 15


def test_llama_3_1_70b_bf16_weights() -> None:
    assert weight_bytes(model("meta-llama/Llama-3.1-70B")) == pytest.approx(141 * GB, rel=0.01)


def test_deepseek_v3_native_fp8_weights() -> None:
    deepseek = model("deepseek-ai/DeepSeek-V3")
    # 690 GB is the size of the published checkpoint, which includes the MTP layer.
    assert weight_bytes(deepseek, include_mtp=True) == pytest.approx(690 * GB, rel=0.02)
    assert weight_bytes(deepseek) == pytest.approx(690 * GB, rel=0.03)


def test_gpt_oss_mxfp4_experts_only() -> None:
    assert weight_bytes(model("openai/gpt-oss-120b")) == pytest.approx(65 * GB, rel=0.03)


def test_quantized_bytes_include_scales() -> None:
    assert quantized_bytes(Quantization("fp8", 8, (128, 128), None, "fp8")) == pytest.approx(1 + 4 / 16384)
    assert quantized_bytes(Quantization("awq", 4, None, 128, "int4")) == pytest.approx(0.5 + 2.5 / 128)
    assert quantized_bytes(Quantization("compressed-tensors", 4, None, 32, "int4")) == pytest.approx(0.5 + 2 / 32)
    assert quantized_bytes(Quantization("mxfp4", 4, None, 32, "mxfp4")) == pytest.approx(0.5 + 1 / 32)
    assert quantized_bytes(Quantization("modelopt", 4, None, 16, "nvfp4")) == pytest.approx(0.5 + 1 / 16)
    assert quantized_bytes(Quantization("int8", 8, None, None, "int8")) == 1.0


def test_tensor_parallel_splits_weights() -> None:
    llama = model("meta-llama/Llama-3.1-70B")
    whole = stage_memory(llama, overhead_bytes=0).weights
    split = stage_memory(llama, attn_tp=8, overhead_bytes=0).weights
    assert split == pytest.approx(whole / 8, rel=0.01)


def test_kv_cache_gqa_mla_and_replication() -> None:
    llama = model("meta-llama/Llama-3.1-70B")
    assert kv_bytes_per_token(llama, (0, 80), 1, 2) == 2 * 80 * 8 * 128 * 2
    assert kv_bytes_per_token(llama, (0, 80), 8, 2) == 2 * 80 * 1 * 128 * 2
    assert kv_bytes_per_token(llama, (0, 80), 16, 2) == 2 * 80 * 1 * 128 * 2  # KV heads copied past 8
    deepseek = model("deepseek-ai/DeepSeek-V3")
    assert kv_bytes_per_token(deepseek, (0, 61), 1, 2) == 61 * 576 * 2
    assert kv_bytes_per_token(deepseek, (0, 61), 8, 2) == 61 * 576 * 2  # latent replicated over TP
    jamba = model("ai21labs/Jamba-v0.1")
    assert kv_bytes_per_token(jamba, (0, 32), 1, 2) == 2 * 4 * 8 * 128 * 2  # 4 attention layers


def test_pipeline_stages_hold_embedding_and_head() -> None:
    llama = model("meta-llama/Llama-3.1-70B")
    first = stage_memory(llama, layers=(0, 40), first=True, last=False, overhead_bytes=0)
    last = stage_memory(llama, layers=(40, 80), first=False, last=True, overhead_bytes=0)
    vocab_bytes = 128256 * 8192 * 2
    assert first.embedding_weights == vocab_bytes == last.embedding_weights
    tied = model("google/gemma-2-27b")
    single = stage_memory(tied, overhead_bytes=0)
    assert single.embedding_weights == 256000 * 4608 * 2  # tied head stored once


def test_expert_parallel_and_stage_from_mapping() -> None:
    deepseek = model("deepseek-ai/DeepSeek-V3")
    stage = Stage(index=0, layers=(0, 61), gpus=tuple(range(16)), attn_tp=16, ffn_tp=16,
                  moe=MoePhase(ep=16, expert_tp=1, experts_per_gpu=(16, 16)))
    assert stage.moe is not None
    breakdown = stage_memory(deepseek, layers=stage.layers, attn_tp=stage.attn_tp, ffn_tp=stage.ffn_tp,
                             ep=stage.moe.ep, expert_tp=stage.moe.expert_tp, tokens=10_000)
    one_expert = 3 * 7168 * 2048 * (1 + 4 / 16384)
    assert breakdown.expert_weights == int(58 * 16 * one_expert)
    assert breakdown.kv_cache == 10_000 * 61 * 576 * 2
    assert breakdown.overhead == RUNTIME_OVERHEAD_BYTES
    assert breakdown.total == breakdown.weights + breakdown.kv_cache + breakdown.overhead
    h200 = find_gpu("H200")
    assert h200 is not None
    assert kv_cache_capacity_tokens(breakdown, h200.memory_bytes, 0.9) > 100_000


def test_weights_that_do_not_fit_leave_no_kv_capacity() -> None:
    breakdown = stage_memory(model("meta-llama/Llama-3.1-70B"))
    l4 = find_gpu("L4")
    assert l4 is not None
    assert kv_cache_capacity_tokens(breakdown, l4.memory_bytes, 0.9) == 0
