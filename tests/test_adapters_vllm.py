"""vLLM adapter: `vllm serve --config` YAML and CLI arguments (frameworks.md §1.1, §1.2)."""

from __future__ import annotations

import textwrap

from parlint.linter.adapters import adapt, looks_relevant
from parlint.linter.adapters.flags import Token, parse_args
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_text
from parlint.linter.plan import DeclaredPlan


def plans(text: str, path: str = "serve.yaml") -> list[DeclaredPlan]:
    return adapt(load_text(path, textwrap.dedent(text)))


def tokens(line: str, row: int = 1, path: str = "run.sh") -> list[Token]:
    """Split on single spaces and give each word its exact range on ``row``."""
    words, column = [], 1
    for word in line.split(" "):
        words.append(Token(word, path, Range.of(row, column, row, column + len(word))))
        column += len(word) + 1
    return words


DSV3 = """\
    # vllm serve --config dsv3.yaml
    model: deepseek-ai/DeepSeek-V3
    tensor-parallel-size: 8
    pipeline_parallel_size: 1        # underscores also accepted
    data-parallel-size: 2
    data-parallel-size-local: 1
    enable-expert-parallel: true
    all2all-backend: deepep_low_latency
    enable-eplb: true
    eplb-config:
      num_redundant_experts: 32
    distributed-executor-backend: mp
    """


def test_config_yaml_values_with_exact_ranges() -> None:
    [plan] = plans(DSV3)
    assert plan.engine == "vllm" and plan.dialect == "vllm-config-yaml"
    assert plan.model is not None and plan.model.value == "deepseek-ai/DeepSeek-V3"
    assert plan.model.range == Range.of(2, 8, 2, 31)
    tp = plan.settings["tp"]
    assert (tp.value, tp.range, tp.spelling) == (8, Range.of(3, 23, 3, 24), "tensor-parallel-size")
    assert plan.settings["pp"].spelling == "pipeline_parallel_size"
    assert plan.get("dp") == 2 and plan.get("dp_local") == 1
    assert plan.get("enable_ep") is True and plan.get("eplb") is True
    redundant = plan.settings["redundant_experts"]
    assert (redundant.value, redundant.range) == (32, Range.of(11, 26, 11, 28))
    assert redundant.spelling == "eplb-config.num_redundant_experts"
    assert plan.get("a2a_backend") == "deepep_low_latency"
    assert plan.get("executor_backend") == "mp"
    assert not plan.unknown_keys and not plan.invalid_values


def test_short_alias_and_typo_keys_are_unknown_with_replacement() -> None:
    text = "model: m\ngpu-memory-utilization: 0.9\ndata-parallel-size: 2\ntp: 4\ntensor-paralel-size: 2\nport: 1\n"
    [plan] = plans(text)
    assert plan.engine == "vllm"
    notes = {note.spelling: note for note in plan.unknown_keys}
    assert notes["tp"].replacement == "tensor-parallel-size"
    assert notes["tp"].range == Range.of(4, 1, 4, 3)
    assert notes["tensor-paralel-size"].replacement == "tensor-parallel-size"
    assert "port" not in notes


def test_false_bool_is_recorded_as_false() -> None:
    [plan] = plans("tensor_parallel_size: 2\nenable_expert_parallel: false\n")
    assert plan.get("enable_ep") is False


def test_wrong_types_are_invalid_values_not_crashes() -> None:
    text = """\
        tensor-parallel-size: "eight"
        pipeline-parallel-size: null
        data-parallel-size: [1, 2]
        enable-expert-parallel: maybe
        gpu-memory-utilization: {a: 1}
        data-parallel-size-local: -1
        """
    [plan] = plans(text)
    bad = {note.spelling: note for note in plan.invalid_values}
    assert set(bad) == {"tensor-parallel-size", "pipeline-parallel-size", "data-parallel-size",
                        "enable-expert-parallel", "gpu-memory-utilization", "data-parallel-size-local"}
    assert bad["tensor-parallel-size"].range == Range.of(1, 23, 1, 30)
    assert "tp" not in plan.settings


def test_parse_args_forms() -> None:
    line = ("deepseek-ai/DeepSeek-V3 -tp 8 --data_parallel_size=2 --no-enable-expert-parallel "
            "--eplb-config.num_redundant_experts 16 --enable-eplb --config cfg.yaml --tensor-paralel-size 4 "
            "--port 8000")
    parsed = parse_args("vllm", tokens(line))
    assert parsed.model is not None and parsed.model.value == "deepseek-ai/DeepSeek-V3"
    assert parsed.model.range == Range.of(1, 1, 1, 24)
    tp = parsed.settings["tp"]
    assert (tp.value, tp.spelling, tp.range) == (8, "-tp", Range.of(1, 29, 1, 30))
    dp = parsed.settings["dp"]
    assert dp.value == 2 and dp.range == Range.of(1, 52, 1, 53)
    assert parsed.settings["enable_ep"].value is False
    assert parsed.settings["redundant_experts"].value == 16
    assert parsed.settings["eplb"].value is True
    assert parsed.config is not None and parsed.config.value == "cfg.yaml"
    [typo] = parsed.unknown
    assert typo.spelling == "--tensor-paralel-size" and typo.replacement == "--tensor-parallel-size"
    assert parsed.other == [] and not parsed.invalid


def test_parse_args_json_value_and_invalid() -> None:
    parsed = parse_args("vllm", tokens('m --eplb-config {"num_redundant_experts":8} -pp two'))
    assert parsed.settings["redundant_experts"].value == 8
    [bad] = parsed.invalid
    assert bad.spelling == "-pp"


def test_detection_rejects_unrelated_yaml_and_json() -> None:
    workflow = """\
        name: CI
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                parallel: [1, 2]
        """
    assert plans(workflow) == []
    assert plans('{"name": "x", "version": "1.0.0", "dependencies": {"tp": "1"}}', "package.json") == []
    assert plans("model: gpt2\nport: 8000\n") == []
    assert plans("- tensor-parallel-size\n- 8\n") == []


def test_looks_relevant_is_a_superset_filter() -> None:
    assert looks_relevant(textwrap.dedent(DSV3))
    assert looks_relevant("tp: 8\n")
    assert not looks_relevant('{"name": "web", "scripts": {"build": "vite"}}')
    # Short ParallelPlan keys count only as keys: a URL's "http:" is no "tp:".
    assert looks_relevant("degrees: {tp: 2, dp: 4}\n") and looks_relevant('{"dp": 2}') and looks_relevant("x: 1\ntp: 8")
    assert not looks_relevant("data:\n  UPSTREAM: http://gateway.inference.svc:8080\n  MIRROR: ftp://mirror\n")


def test_fallback_all2all_backend_is_deprecated() -> None:
    [plan] = plans("model: m\ndata-parallel-size: 2\nenable-expert-parallel: true\nall2all-backend: pplx\n")
    [note] = plan.deprecated_keys
    assert note.replacement == "allgather_reducescatter" and note.range == Range.of(4, 18, 4, 22)


def test_partition_environment_value() -> None:
    from parlint.linter.adapters.flags import PP_PARTITION_ENV, parse_partition
    from parlint.linter.plan import KeyNote, Sourced

    where = Range.of(3, 30, 3, 41)
    good = parse_partition("vllm", "15,15,16,15", "run.sh", where, PP_PARTITION_ENV["vllm"])
    assert isinstance(good, Sourced) and good.value == [15, 15, 16, 15] and good.range == where
    bad = parse_partition("sglang", "15;46", "run.sh", where, PP_PARTITION_ENV["sglang"])
    assert isinstance(bad, KeyNote) and bad.reason.startswith("Invalid partition string: '15;46'")


def test_argparse_abbreviations_expand_or_are_ambiguous() -> None:
    # FlexibleArgumentParser keeps argparse's allow_abbrev: a unique prefix is that option, on the command
    # line and as a config key (each key becomes `--key`); several matches are refused as ambiguous.
    parsed = parse_args("vllm", tokens("m --tensor-parallel 4 --max-num-seq 64 --data-parallel 2"))
    assert parsed.settings["tp"].value == 4 and "dp" not in parsed.settings
    [ambiguous] = parsed.invalid
    assert ambiguous.reason.startswith("ambiguous option: --data-parallel could match --data-parallel-address")
    [plan] = plans("model: m\ntensor-parallel-size: 8\npipeline-parallel: 2\n")
    assert plan.get("pp") == 2 and not plan.unknown_keys


def test_only_close_misspellings_are_typos() -> None:
    # Options parlint has no table entry for are not "typos" of a listed one that merely looks alike.
    parsed = parse_args("vllm", tokens("m --enable-lora --tokenizer-mode auto --tensor-paralel-size 4"))
    assert [(note.spelling, note.replacement) for note in parsed.unknown] == [
        ("--tensor-paralel-size", "--tensor-parallel-size")]


def test_optimization_level_shorthand_and_model_option_before_an_unknown_flag() -> None:
    for line in ("m -O3 -tp 2", "m -O 3 -tp 2", "m -O=3 -tp 2", "m -Odecode -tp 2", 'm -O {"mode":3} -tp 2'):
        parsed = parse_args("vllm", tokens(line))
        assert (parsed.model and parsed.model.value, parsed.settings["tp"].value, parsed.invalid) == ("m", 2, []), line
    # The last word after an unknown option is not the model when --model already named it.
    parsed = parse_args("vllm", tokens("--model org/m --tensor-parallel-size 6 --max-loras 4"))
    assert parsed.model is not None and parsed.model.value == "org/m"
