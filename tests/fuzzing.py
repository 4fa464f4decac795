"""Generators and properties shared by the fuzz tests (``tests/test_fuzz_*.py``) and ``bench/fuzz.py``.

Generators are Hypothesis strategies: structured engine configs (vLLM, SGLang, TensorRT-LLM YAML,
DeepSpeed JSON, MII, ParallelPlan) with random degrees, keys and values; launch command lines; and
mutations of the shipped fixtures (byte flips, truncation, duplicated lines, swapped value types).

The properties a linted case must satisfy are in :func:`check_case`: no internal error (PL000) and
no exception, every position inside the file, and JSON output valid against the shipped schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from parlint.linter.adapters.flags import DEEPSPEED, MII, SGLANG, TRTLLM, VLLM, EngineFlags
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Diagnostic, Range
from parlint.linter.reporters import Summary
from parlint.linter.reporters.json_report import render
from parlint.linter.runner import FileResult, RunOptions, decode, lint_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SCHEMA = ROOT / "parlint" / "schemas" / "output.schema.json"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

MODELS = (
    "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-405B-Instruct",
    "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-R1", "Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-30B-A3B",
    "mistralai/Mixtral-8x7B-Instruct-v0.1", "unknown-org/never-heard-of-it", "./local-model", "",
)
GPUS = ("H100-80GB", "H200", "A100-40GB", "B200", "nvidia-h100-80gb-hbm3", "no-such-gpu", "")

# -- values -----------------------------------------------------------------------------------------

small_degrees = st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16, 32, 64])
odd_numbers = st.one_of(
    st.integers(-2, 0), st.integers(65, 70_000), st.just(2**63), st.just(10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([8.0, 8.5, 1e300]),
)
odd_scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(["eight", "8", " 8 ", "0x10", "", "auto", "²", "-1", "1,2,3", "null"]),
    st.text(max_size=12),
)


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    """Mostly plausible degrees, sometimes anything: odd numbers, strings, nulls, lists, mappings."""
    leaf = st.one_of(small_degrees, small_degrees, odd_numbers, odd_scalars)
    if depth <= 0:
        return leaf
    nested = values(depth - 1)
    return st.one_of(leaf, leaf, leaf, st.lists(nested, max_size=4),
                     st.dictionaries(st.sampled_from(["tp_size", "ep_size", "num_redundant_experts", "x"]), nested,
                                     max_size=3))


def _keys(table: EngineFlags, *, dashed: bool) -> list[str]:
    keys = sorted(table.by_key)
    return [key.replace("_", "-") for key in keys] + keys if dashed else keys


def flat_config(table: EngineFlags, *, dashed: bool) -> st.SearchStrategy[dict[str, Any]]:
    known = _keys(table, dashed=dashed)
    typos = [key[:-1] for key in known[:20]] + ["tp", "pp", "dp", "tensor_parallel", "parallel"]
    key = st.one_of(st.sampled_from(known), st.sampled_from(known), st.sampled_from(typos))
    model_key = {"vllm": "model", "sglang": "model-path", "trtllm": "model"}[table.engine]
    return st.builds(
        lambda model, body: {model_key: model, **body} if model is not None else body,
        st.one_of(st.none(), st.sampled_from(MODELS), values(1)),
        st.dictionaries(key, values(), min_size=1, max_size=8),
    )


def deepspeed_config() -> st.SearchStrategy[dict[str, Any]]:
    dotted = sorted(DEEPSPEED.by_key)

    def nest(members: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, value in members.items():
            head, dot, tail = name.partition(".")
            if dot and isinstance(result.setdefault(head, {}), dict):
                result[head][tail] = value
            else:
                result[name] = value
        return result

    return st.dictionaries(st.sampled_from(dotted), values(), min_size=1, max_size=8).map(nest)


def mii_config() -> st.SearchStrategy[dict[str, Any]]:
    body = st.dictionaries(st.sampled_from(sorted(MII.by_key)), values(), min_size=1, max_size=6)

    def config(model: dict[str, Any], members: dict[str, Any], wrap: bool) -> dict[str, Any]:
        return {"model_config": {**model, **members}} if wrap else {**model, **members}

    return st.builds(config, st.fixed_dictionaries({"model_name_or_path": st.sampled_from(MODELS)}), body,
                     st.booleans())


def parallel_plan() -> st.SearchStrategy[dict[str, Any]]:
    layer = st.one_of(st.integers(-2, 130), odd_scalars)
    gpu_ids = st.one_of(st.lists(st.integers(-1, 80), max_size=17), values(0))
    stage = st.fixed_dictionaries(
        {"layers": st.one_of(st.lists(layer, min_size=2, max_size=2), values(0))},
        optional={
            "gpus": gpu_ids,
            "attention": st.one_of(st.fixed_dictionaries({}, optional={"tp": values(0), "sp": values(0)}), values(0)),
            "tp_applies_to": st.lists(st.sampled_from(["attention", "ffn", "experts", "x"]), max_size=3),
            "experts": st.one_of(st.fixed_dictionaries({}, optional={"ep": values(0), "tp": values(0),
                                                                     "per_gpu": values(0)}), values(0)),
        },
    )
    decision = st.fixed_dictionaries(
        {"step": st.sampled_from(["structure", "structural", "operator", "data", "other"])},
        optional={"degrees": st.dictionaries(st.sampled_from(["tp", "pp", "dp", "ep", "x"]), values(0), max_size=3),
                  "reason": st.one_of(st.text(max_size=20), values(0))},
    )
    return st.fixed_dictionaries(
        {"kind": st.just("ParallelPlan"), "model": st.one_of(st.sampled_from(MODELS), values(0))},
        optional={
            "hardware": st.one_of(st.fixed_dictionaries({}, optional={
                "gpu": st.one_of(st.sampled_from(GPUS), values(0)), "gpus_per_node": values(0),
                "nodes": values(0)}), values(0)),
            "objective": st.one_of(st.sampled_from(["latency", "throughput"]), values(0)),
            "decisions": st.one_of(st.lists(decision, max_size=4), values(0)),
            "stages": st.one_of(st.lists(stage, max_size=4), values(0)),
            "replicas": values(0),
            "gpus": values(0),
        },
    )


@dataclass(frozen=True)
class Case:
    """One generated file: a name (its suffix picks the loader) and its bytes."""

    name: str
    data: bytes
    origin: str

    def reproducer(self) -> str:
        return f"# {self.origin}\nPath({self.name!r}).write_bytes({self.data!r})"


def _yaml_text(data: dict[str, Any], hint: str) -> str:
    return hint + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def engine_configs() -> st.SearchStrategy[Case]:
    """Structured configs of every dialect, as the files a user would write."""
    hints = st.sampled_from(["", "# vllm serve --config serve.yaml\n", "# sglang.launch_server\n",
                             "# trtllm-serve --extra_llm_api_options x.yaml\n"])
    flat = st.one_of(
        st.tuples(st.just("vllm.yaml"), flat_config(VLLM, dashed=True)),
        st.tuples(st.just("sglang.yaml"), flat_config(SGLANG, dashed=False)),
        st.tuples(st.just("trtllm.yaml"), flat_config(TRTLLM, dashed=False)),
        st.tuples(st.just("mii.yaml"), mii_config()),
        st.tuples(st.just("plan.yaml"), parallel_plan()),
    )
    as_yaml = st.builds(lambda pair, hint: Case(pair[0], _yaml_text(pair[1], hint).encode(), "engine config"),
                        flat, hints)
    as_json = st.builds(lambda data, indent: Case("ds_config.json", json.dumps(data, indent=indent).encode(),
                                                  "deepspeed json"),
                        deepspeed_config(), st.sampled_from([None, 2]))
    return st.one_of(as_yaml, as_yaml, as_json)


# -- launch commands --------------------------------------------------------------------------------

_ENGINE_COMMANDS = {
    "vllm": ("vllm serve", VLLM), "sglang": ("python -m sglang.launch_server", SGLANG),
    "trtllm": ("trtllm-serve", TRTLLM), "deepspeed": ("deepspeed --num_gpus 8 serve.py", DEEPSPEED),
}


def _argument(table: EngineFlags) -> st.SearchStrategy[str]:
    flags = sorted(table.by_cli)
    word = st.one_of(small_degrees.map(str), st.sampled_from(MODELS).filter(bool), odd_scalars.map(str),
                     st.sampled_from(["$TP", "${TP:-8}", "'8'", '"8"', "\\", "&&", "#", "|", ";"]))
    return st.one_of(
        st.builds(lambda flag, value: f"{flag} {value}", st.sampled_from(flags), word),
        st.builds(lambda flag, value: f"{flag}={value}", st.sampled_from(flags), word),
        st.sampled_from(flags), word,
    )


def launch_commands() -> st.SearchStrategy[tuple[str, str]]:
    """(engine, command line) pairs: the engine's own flags with random values, quotes and continuations."""

    def line(engine: str) -> st.SearchStrategy[tuple[str, str]]:
        program, table = _ENGINE_COMMANDS[engine]
        joiner = st.sampled_from([" ", " \\\n  ", " \\ \n  ", "\t"])
        return st.builds(
            lambda env, args, join: (engine, env + program + "".join(join + arg for arg in args) + "\n"),
            st.sampled_from(["", "TP=8 ", "CUDA_VISIBLE_DEVICES=0,1,2,3 ", "export TP=4\n"]),
            st.lists(_argument(table), max_size=8), joiner,
        )

    return st.sampled_from(sorted(_ENGINE_COMMANDS)).flatmap(line)


def launch_scripts() -> st.SearchStrategy[Case]:
    return launch_commands().map(lambda pair: Case("serve.sh", ("#!/bin/bash\n" + pair[1]).encode(), "launch script"))


# -- fixture mutations ------------------------------------------------------------------------------


@cache
def fixture_files() -> tuple[Path, ...]:
    return tuple(sorted(path for path in FIXTURES.rglob("*") if path.is_file() and path.suffix != ".md"))


_SCALAR = re.compile(rb"(?<=: )[^\s#{}\[\],]+")
_SWAPS = (b'"eight"', b"null", b"[8, 8]", b"{a: 1}", b"-8", b"0", b"99999999999999999999", b"8.5", b"true",
          b"*missing", b"&a", b"!!python/object/apply:os.system ['true']", b'""', b"~")


def _mutate(data: bytes, operation: str, position: int, choice: int) -> bytes:
    if not data:
        return data
    at = position % len(data)
    if operation == "flip":
        return data[:at] + bytes([data[at] ^ (1 << (choice % 8))]) + data[at + 1:]
    if operation == "truncate":
        return data[:at]
    if operation == "insert":
        junk = (b"\x00", b"\xff", b"\t", b"\r", b"\n", b"{", b"[", b"- ", b": ", b"'", b'"', b"&a ", b"*a ",
                b"\xe2\x80\xa8", b"\xc2\x85")
        return data[:at] + junk[choice % len(junk)] + data[at:]
    lines = data.splitlines(keepends=True)
    index = position % len(lines)
    if operation == "duplicate":
        return b"".join([*lines[: index + 1], lines[index], *lines[index + 1:]])
    if operation == "swap":
        matches = list(_SCALAR.finditer(data))
        if not matches:
            return data
        match = matches[position % len(matches)]
        return data[: match.start()] + _SWAPS[choice % len(_SWAPS)] + data[match.end():]
    if operation == "crlf":
        return data.replace(b"\n", b"\r\n")
    if operation == "utf16":
        return b"\xff\xfe" + data.decode("utf-8", "replace").encode("utf-16-le")
    if operation == "delete-line":
        return b"".join(lines[:index] + lines[index + 1:])
    raise ValueError(operation)


MUTATIONS = ("flip", "truncate", "insert", "duplicate", "swap", "swap", "crlf", "utf16", "delete-line")


def fixture_mutations() -> st.SearchStrategy[Case]:
    """A shipped fixture after one to three random mutations."""
    step = st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 1 << 20), st.integers(0, 255))

    def mutated(path: Path, steps: Sequence[tuple[str, int, int]]) -> Case:
        data = path.read_bytes()
        for operation, position, choice in steps:
            data = _mutate(data, operation, position, choice)
        origin = f"{path.relative_to(ROOT)} mutated by {list(steps)}"
        return Case(str(path.relative_to(ROOT)), data, origin)

    return st.builds(mutated, st.sampled_from(fixture_files()), st.lists(step, min_size=1, max_size=3))


# -- properties -------------------------------------------------------------------------------------


@cache
def _validator() -> Callable[[Any], None]:
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate


def lint_case(case: Case, *, root: Path = ROOT) -> tuple[str | None, FileResult]:
    """Lint a case's bytes as the file ``root / case.name`` would be linted (decode, then every stage)."""
    text, reason = decode(case.data)
    from parlint.linter.diagnostics import FILE_START, LoadProblem

    path = str(root / case.name)
    problem = LoadProblem(reason, FILE_START) if text is None else None
    return text, lint_text(path, text, Settings(root=str(root)), RunOptions(), problem)


def _inside(text: str, where: Range) -> str | None:
    lines = _LINE_BREAK.split(text)
    for position in (where.start, where.end):
        if not 1 <= position.line <= len(lines) + 1:
            return f"line {position.line} outside 1..{len(lines) + 1}"
        length = len(lines[position.line - 1]) if position.line <= len(lines) else 0
        if not 1 <= position.column <= length + 1:
            return f"column {position.column} outside 1..{length + 1} on line {position.line}"
    if where.end < where.start:
        return f"range ends before it starts: {where}"
    return None


def violations(case: Case, text: str | None, result: FileResult) -> list[str]:
    """Every way the result breaks a property; empty when the case passes."""
    found: list[str] = []
    if result.internal_error:
        found += [f"internal error: {d.message}" for d in result.diagnostics if d.code == "PL000"]
    for diagnostic in result.diagnostics:
        places = [(diagnostic.file, diagnostic.range)] + [(item.file, item.range) for item in diagnostic.related]
        for file, where in places:
            if file != result.path:
                continue
            problem = _inside(text or "", where)
            if problem:
                found.append(f"{diagnostic.code} {problem}: {diagnostic.message[:120]}")
    try:
        _validator()(json.loads(render(result.diagnostics, Summary(files_checked=1))))
    except Exception as error:  # any schema or serialisation failure is a violation, reported with the case
        found.append(f"JSON output invalid: {str(error)[:300]}")
    return found


def check_case(case: Case) -> list[Diagnostic]:
    """Lint ``case`` and assert every property; returns the diagnostics for further checks."""
    text, result = lint_case(case)
    problems = violations(case, text, result)
    assert not problems, "\n".join([*problems, case.reproducer()])
    return result.diagnostics
