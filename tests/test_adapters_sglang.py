"""SGLang 0.5.23 adapter: `--config` YAML (dashed keys only) and CLI arguments (frameworks.md §2.1, §2.2)."""

from __future__ import annotations

import textwrap

from parlint.linter.adapters import adapt
from parlint.linter.adapters.flags import parse_args
from parlint.linter.derive import derive
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan
from tests.structures import DEEPSEEK_V3
from tests.test_adapters_vllm import tokens


def plans(text: str) -> list[DeclaredPlan]:
    return adapt(load_text("sglang.yaml", textwrap.dedent(text)))


def test_dashed_keys_and_aliases_with_ranges() -> None:
    [plan] = plans("""\
        model-path: deepseek-ai/DeepSeek-V3
        tensor-parallel-size: 16
        attn-dp-size: 16
        ep: 16
        moe-a2a-backend: deepep
        mem-fraction-static: 0.8
        nnodes: 2
        """)
    assert plan.engine == "sglang" and plan.dialect == "sglang-config-yaml"
    assert plan.model is not None and plan.model.value == "deepseek-ai/DeepSeek-V3"
    tp = plan.settings["tp"]
    assert (tp.value, tp.spelling, tp.range) == (16, "tensor-parallel-size", Range.of(2, 23, 2, 25))
    assert plan.get("attn_dp") == 16 and plan.get("ep") == 16 and plan.get("a2a_backend") == "deepep"
    assert plan.get("mem_fraction") == 0.8 and plan.get("nnodes") == 2


def test_underscore_key_is_unknown_with_dashed_replacement() -> None:
    [plan] = plans("model-path: m\ntp_size: 8\ndp-size: 2\n")
    [note] = plan.unknown_keys
    assert (note.spelling, note.replacement, note.range) == ("tp_size", "tp-size", Range.of(2, 1, 2, 8))
    assert "tp" not in plan.settings


def test_abbreviations_and_ambiguous_pp() -> None:
    [plan] = plans("model-path: m\ntp: 8\ndp: 2\npp: 2\n")
    assert plan.get("tp") == 8 and plan.get("dp") == 2 and "pp" not in plan.settings
    [note] = plan.unknown_keys
    assert note.spelling == "pp" and note.replacement == "pp-size" and "ambiguous" in note.reason


def test_deprecated_dp_attention_is_recorded_and_rewritten_by_derive() -> None:
    [plan] = plans("model-path: deepseek-ai/DeepSeek-V3\ntp-size: 8\ndp-size: 8\nenable-dp-attention: true\n")
    [note] = plan.deprecated_keys
    assert note.spelling == "enable-dp-attention" and note.replacement == "--attn-dp-size"
    deployment = derive(plan, DEEPSEEK_V3)
    assert deployment.replicas == 1 and deployment.stages[0].attn_dp == 8 and deployment.gpus_total == 8


def test_store_true_false_is_omitted_and_removed_flags_are_unknown() -> None:
    [plan] = plans("model-path: m\ntp-size: 8\nenable-dp-attention: false\nenable-ep-moe: true\n")
    assert "enable_attention_dp" not in plan.settings and not plan.deprecated_keys
    [removed] = plan.unknown_keys
    assert removed.spelling == "enable-ep-moe" and removed.replacement == "--ep-size"
    assert "ep" not in plan.settings


def test_cli_forms() -> None:
    parsed = parse_args("sglang", tokens(
        "--model-path deepseek-ai/DeepSeek-V3 --tp 8 --dp=2 --enable-dp-attention --pp 2 --enable-deepep-moe "
        "--tensor_parallel_size 4"))
    assert parsed.model is not None and parsed.model.value == "deepseek-ai/DeepSeek-V3"
    assert parsed.settings["tp"].spelling == "--tp" and parsed.settings["tp"].value == 8
    assert parsed.settings["dp"].value == 2 and parsed.settings["dp"].range == Range.of(1, 50, 1, 51)
    assert parsed.settings["enable_attention_dp"].value is True
    assert [note.spelling for note in parsed.deprecated] == ["--enable-dp-attention"]
    assert [note.spelling for note in parsed.invalid] == ["--pp"]
    unknown = {note.spelling: note.replacement for note in parsed.unknown}
    assert unknown["--enable-deepep-moe"] == "--moe-a2a-backend deepep"
    assert unknown["--tensor_parallel_size"] == "--tensor-parallel-size"


def test_wrong_types_never_crash() -> None:
    [plan] = plans('model-path: m\ntp-size: "eight"\nattn-dp-size: null\nep-size: [2]\nmoe-a2a-backend: magic\n')
    assert {note.spelling for note in plan.invalid_values} == {"tp-size", "attn-dp-size", "ep-size",
                                                                "moe-a2a-backend"}


def test_model_alias_and_options_outside_the_table() -> None:
    # ServerArgs.model_path has the alias --model; --page-size is a real option, no typo of --tp-size.
    parsed = parse_args("sglang", tokens("--model deepseek-ai/DeepSeek-R1 --tp 8 --page-size 64"))
    assert parsed.model is not None and parsed.model.value == "deepseek-ai/DeepSeek-R1"
    assert parsed.settings["tp"].value == 8 and not parsed.unknown
    # In a config file `model:` is read too, but it does not make a vLLM file look like SGLang's.
    [plan] = plans("model: m\ntensor-parallel-size: 4\npipeline_parallel_size: 2\ndp: 2\n")
    assert plan.engine == "vllm"
