"""DeepSpeed inference JSON and DeepSpeed-MII adapters (frameworks.md §3.1-§3.3)."""

from __future__ import annotations

from parlint.linter.adapters import adapt
from parlint.linter.adapters.flags import parse_args
from parlint.linter.derive import derive
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan
from tests.structures import LLAMA_3_1_70B, MIXTRAL_8X7B
from tests.test_adapters_vllm import tokens


def plans(text: str, path: str = "ds_infer.json") -> list[DeclaredPlan]:
    return adapt(load_text(path, text))


def test_inference_json_with_moe() -> None:
    text = ('{\n  "dtype": "fp16",\n  "tensor_parallel": {"tp_size": 4},\n'
            '  "moe": {"enabled": true, "ep_size": 4, "moe_experts": [64], "type": "standard"},\n'
            '  "replace_with_kernel_inject": true,\n  "max_tokens": 2048\n}\n')
    [plan] = plans(text)
    assert plan.engine == "deepspeed" and plan.dialect == "deepspeed-inference-json"
    tp = plan.settings["tp"]
    assert (tp.value, tp.spelling, tp.range) == (4, "tensor_parallel.tp_size", Range.of(3, 34, 3, 35))
    assert plan.get("ep") == 4 and plan.get("moe_experts") == [64] and plan.get("dtype") == "fp16"
    assert not plan.unknown_keys and not plan.invalid_values


def test_alias_and_deprecated_keys() -> None:
    [plan] = plans('{"tp": {"tp_size": 2}, "kernel_inject": true}')
    assert plan.get("tp") == 2 and plan.settings["tp"].spelling == "tp.tp_size"
    [old] = plans('{"mp_size": 4, "replace_with_kernel_inject": true}')
    [note] = old.deprecated_keys
    assert (note.spelling, note.replacement) == ("mp_size", "tensor_parallel.tp_size") and old.get("tp") == 4
    [both] = plans('{"mp_size": 4, "tensor_parallel": {"tp_size": 2}}')
    assert both.get("tp") == 2


def test_typo_and_wrong_types() -> None:
    [plan] = plans('{"tensor_parallel": {"tp_sise": 2, "enabled": "yes"}, "mp_size": null}')
    assert [(note.spelling, note.replacement) for note in plan.unknown_keys] == [
        ("tensor_parallel.tp_sise", "tensor_parallel.tp_size")]
    assert {note.spelling for note in plan.invalid_values} == {"tensor_parallel.enabled", "mp_size"}


def test_training_config_is_not_an_inference_config() -> None:
    training = '{"train_batch_size": 32, "zero_optimization": {"stage": 3}, "tensor_parallel": {"autotp_size": 4}}'
    assert plans(training) == []


def test_mii_config_and_gpu_count() -> None:
    text = ("model_name_or_path: meta-llama/Llama-3.1-70B-Instruct\ntensor_parallel: 2\nreplica_num: 4\n")
    [plan] = plans(text, "mii.yaml")
    assert plan.engine == "mii" and plan.get("tp") == 2 and plan.get("replicas") == 4
    assert plan.settings["replicas"].range == Range.of(3, 14, 3, 15)
    assert derive(plan, LLAMA_3_1_70B).gpus_total == 8


def test_mii_nested_model_config() -> None:
    text = ('{"deployment_name": "d", '
            '"model_config": {"model_name_or_path": "m", "tensor_parallel": 2, "replica_num": 2}}')
    [plan] = plans(text, "mii.json")
    assert plan.engine == "mii" and plan.model is not None and plan.model.value == "m"
    assert derive(plan, None).gpus_total == 4


def test_deepspeed_ep_mismatch_and_launcher_supply() -> None:
    [plan] = plans('{"tensor_parallel": {"tp_size": 2}, "moe": {"ep_size": 3}}')
    deployment = derive(plan, MIXTRAL_8X7B)
    assert [rejection.kind for rejection in deployment.rejections] == ["deepspeed-experts-not-divisible-by-ep"]
    parsed = parse_args("deepspeed", tokens("--num_gpus 4 --num_nodes 2 infer.py"))
    [supply] = parsed.supply
    assert (supply.count.value, supply.scope, supply.units, supply.total) == (4, "node", 2, 8)
    assert parsed.settings["nnodes"].value == 2
    every_gpu = parse_args("deepspeed", tokens("--num_gpus -1 infer.py"))  # the default: all GPUs of the node
    assert not every_gpu.invalid and not every_gpu.supply
    assert [note.reason for note in parse_args("deepspeed", tokens("--num_gpus -2 infer.py")).invalid] == [
        "`num_gpus` must be >= -1, got -2"]
