"""Adapters and derive() never crash: any value under any known key becomes a setting or a note."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from parlint.linter.adapters import adapt
from parlint.linter.adapters.flags import DEEPSPEED, MII, SGLANG, TRTLLM, VLLM, Token, parse_args
from parlint.linter.derive import derive
from parlint.linter.diagnostics import Range
from parlint.linter.loader import load_json
from tests.structures import DEEPSEEK_V3

KEYS = sorted({*VLLM.by_key, *(name[2:] for name in SGLANG.by_cli), *TRTLLM.by_key, *MII.by_key,
               *(key for key in DEEPSPEED.by_key if "." not in key), "tensor_parallel", "moe", "kind", "stages",
               "decisions", "hardware", "replicas", "gpus", "model_config"})
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.booleans())
def test_any_document_adapts_and_derives(document: dict[str, object], as_plan: bool) -> None:
    if as_plan:
        document["kind"] = "ParallelPlan"
    loaded = load_json("config.json", json.dumps(document))
    for plan in adapt(loaded):
        for model in (None, DEEPSEEK_V3):
            deployment = derive(plan, model)
            assert deployment.gpus_total >= 0
            deployment.to_json()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["vllm", "sglang", "trtllm", "deepspeed", "mii"]),
       st.lists(st.sampled_from(["-tp", "--tp", "--pp", "--dp=x", "--no-enable-eplb", "8", "--eplb-config",
                                 "{", "--eplb-config.num_redundant_experts", "--config", "=", "--", "-",
                                 "--tensor-parallel-size", "--tp_size", "--num_gpus", "--replica-num", "m"]),
                max_size=10))
def test_any_argument_list_parses(engine: str, words: list[str]) -> None:
    parse_args(engine, [Token(word, "run.sh", Range.of(1, 1, 1, 1 + len(word))) for word in words])
