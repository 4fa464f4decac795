"""TensorRT-LLM adapter: `--config`/`extra_llm_api_options` YAML and trtllm-serve flags (frameworks.md §4.1, §4.2)."""

from __future__ import annotations

import textwrap

from parlint.linter.adapters import adapt
from parlint.linter.adapters.flags import parse_args
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan
from tests.test_adapters_vllm import tokens


def plans(text: str) -> list[DeclaredPlan]:
    return adapt(load_text("extra.yaml", textwrap.dedent(text)))


def test_yaml_keys_nested_values_and_gpus_per_node() -> None:
    [plan] = plans("""\
        tensor_parallel_size: 8
        moe_expert_parallel_size: 8
        moe_tensor_parallel_size: 1
        enable_attention_dp: true
        pp_partition: [31, 30]
        pipeline_parallel_size: 2
        gpus_per_node: 8
        cp_config:
          cp_type: helix
        kv_cache_config:
          free_gpu_memory_fraction: 0.85
        """)
    assert plan.engine == "trtllm" and plan.dialect == "trtllm-config-yaml"
    assert (plan.get("tp"), plan.get("ep"), plan.get("moe_tp"), plan.get("pp")) == (8, 8, 1, 2)
    assert plan.get("enable_attention_dp") is True and plan.get("pp_partition") == [31, 30]
    assert plan.settings["pp_partition"].range == Range.of(5, 15, 5, 23)
    assert plan.gpus_per_node is not None and plan.gpus_per_node.value == 8
    fraction = plan.settings["mem_fraction"]
    assert (fraction.value, fraction.range, fraction.spelling) == (
        0.85, Range.of(11, 29, 11, 33), "kv_cache_config.free_gpu_memory_fraction")
    assert plan.get("cp_type") == "helix"


def test_dashed_keys_are_not_field_names() -> None:
    [plan] = plans("tensor_parallel_size: 4\nmoe-expert-parallel-size: 4\nenable_attention_dp: false\n")
    [note] = plan.unknown_keys
    assert (note.spelling, note.replacement) == ("moe-expert-parallel-size", "moe_expert_parallel_size")
    assert plan.get("enable_attention_dp") is False


def test_null_moe_sizes_mean_auto_and_bad_types_are_noted() -> None:
    [plan] = plans("tensor_parallel_size: 8\nmoe_expert_parallel_size: null\npp_partition: [a, 2]\n"
                   "enable_attention_dp: 3\n")
    assert plan.settings["ep"].value is None
    assert {note.spelling for note in plan.invalid_values} == {"pp_partition", "enable_attention_dp"}


def test_cli_flags_are_underscored() -> None:
    parsed = parse_args("trtllm", tokens("deepseek-ai/DeepSeek-R1 --tp_size 8 --ep_size 8 "
                                         "--extra_llm_api_options extra.yaml --tp-size 4"))
    assert parsed.model is not None and parsed.model.value == "deepseek-ai/DeepSeek-R1"
    assert parsed.settings["tp"].value == 8 and parsed.settings["ep"].value == 8
    assert parsed.config is not None and parsed.config.value == "extra.yaml"
    [unknown] = parsed.unknown
    assert unknown.spelling == "--tp-size" and unknown.replacement == "--tp_size"
