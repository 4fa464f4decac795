"""vLLM ``vllm serve --config file.yaml`` (frameworks.md §1.2, ``FlexibleArgumentParser._pull_args_from_config``).

The file is a flat mapping of long option names without ``--``; dashes and underscores both work
(each key becomes ``--key``, then underscores are rewritten to dashes). Short aliases (``tp:``) do
not work, because ``--tp`` is not a vLLM option, but argparse expands a unique prefix of a long option
(``pipeline-parallel:``) and refuses an ambiguous one. ``true`` becomes ``--key``, ``false`` ``--no-key``
(or is dropped for store_true flags); a mapping value is passed as JSON (``eplb-config``).
"""

from __future__ import annotations

from functools import lru_cache

from parlint.linter.adapters.common import Resolution, abbreviated, new_plan, read_flat_config, typo
from parlint.linter.adapters.flags import VLLM, VLLM_A2A_FALLBACK
from parlint.linter.loader import Document
from parlint.linter.plan import DeclaredPlan, KeyNote

DIALECT = "vllm-config-yaml"


@lru_cache(maxsize=4096)  # detection asks every engine about every key of every file
def resolve_key(key: str) -> Resolution:
    flag = VLLM.cli_flag("--" + key)
    if flag is not None:
        return Resolution(flag)
    short = VLLM.by_cli.get("-" + key)
    if short is not None:
        return Resolution(None, f"short aliases do not work in a vLLM config file: `--{key}` is not a vLLM "
                                "option", short.long[2:])
    dashed = key.replace("_", "-")
    return abbreviated(VLLM, dashed) or typo(VLLM, dashed, [name[2:] for name in VLLM.by_cli if name.startswith("--")])


def adapt_vllm(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("vllm", DIALECT, path, document)
    read_flat_config(VLLM, plan, document, resolve_key)
    backend = plan.settings.get("a2a_backend")
    if backend is not None and backend.value in VLLM_A2A_FALLBACK:
        plan.deprecated_keys.append(KeyNote(
            backend.spelling, plan.file, backend.range,
            f"all2all backend {backend.value!r} still parses in vLLM 0.33 but falls back to "
            "allgather_reducescatter with a warning", "allgather_reducescatter"))
    return plan
