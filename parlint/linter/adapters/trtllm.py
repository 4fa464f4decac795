"""TensorRT-LLM ``trtllm-serve MODEL --config extra.yaml`` (alias ``--extra_llm_api_options``), frameworks.md §4.2.

Keys are ``BaseLlmArgs`` field names with underscores (``tensorrt_llm/llmapi/llm_args.py``), nested
mappings for ``*_config`` objects; ``extra="forbid"`` makes unknown keys errors. Dashed spellings are
not field names. The YAML overrides CLI values (``llm_args | llm_args_dict``).
"""

from __future__ import annotations

from functools import lru_cache

from parlint.linter.adapters.common import Resolution, new_plan, read_flat_config, typo
from parlint.linter.adapters.flags import TRTLLM
from parlint.linter.loader import Document
from parlint.linter.plan import DeclaredPlan

DIALECT = "trtllm-config-yaml"


@lru_cache(maxsize=4096)  # detection asks every engine about every key of every file
def resolve_key(key: str) -> Resolution:
    flag = TRTLLM.by_key.get(key)
    if flag is not None:
        return Resolution(flag)
    underscored = key.replace("-", "_")
    if underscored != key and underscored in TRTLLM.by_key:
        return Resolution(None, "TensorRT-LLM config keys are LLM-API field names with underscores: "
                                f"`{key}` is not a field (extra=\"forbid\")", underscored)
    return typo(TRTLLM, underscored)


def adapt_trtllm(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("trtllm", DIALECT, path, document)
    read_flat_config(TRTLLM, plan, document, resolve_key, false_drops_store_true=False)
    gpus_per_node = plan.settings.get("gpus_per_node")
    if gpus_per_node is not None and isinstance(gpus_per_node.value, int):
        plan.gpus_per_node = gpus_per_node
    return plan
