"""SGLang 0.5.23 ``--config file.yaml`` (frameworks.md §2.2, ``ConfigArgumentMerger`` in
``python/sglang/srt/utils/server_args_config_parser.py``).

Each key is emitted verbatim as ``--{key}`` with no underscore rewriting, so keys must use the CLI
dash spelling: ``tp_size:`` becomes ``--tp_size``, an unrecognized argument (recorded as an unknown
key with its dashed replacement). ``tp:``/``dp:`` work through argparse abbreviation; ``pp:`` is
ambiguous. A store_true flag set to ``false`` is omitted. An option whose action is neither store_true
nor single-value (a ``BooleanOptionalAction`` flag such as ``--dcp-replicate-q-proj``) makes the merger
raise ``"Unsupported config option '…' with action '…'"``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from parlint.linter.adapters.common import Resolution, abbreviated, new_plan, read_flat_config, typo
from parlint.linter.adapters.flags import BOOL, SGLANG
from parlint.linter.loader import Document
from parlint.linter.plan import DeclaredPlan

DIALECT = "sglang-config-yaml"


@lru_cache(maxsize=4096)  # detection asks every engine about every key of every file
def resolve_key(key: str) -> Resolution:
    spelling = "--" + key
    flag = SGLANG.by_cli.get(SGLANG.abbreviation(spelling) or spelling)
    expanded = abbreviated(SGLANG, key) if flag is None and not SGLANG.ambiguity(spelling) else None
    if expanded is not None and (expanded.flag is None or expanded.flag.kind != BOOL):
        return expanded
    flag = expanded.flag if expanded is not None else flag
    if flag is not None and flag.kind == BOOL:
        return Resolution(None, f"SGLang's --config refuses BooleanOptionalAction options: \"Unsupported config "
                                f"option '{key}' with action '…'\"; pass `{flag.long}` (or "
                                f"`--no-{flag.long[2:]}`) on the command line")
    if flag is not None:
        return Resolution(flag)
    ambiguous = SGLANG.ambiguity(spelling)
    if ambiguous:
        return Resolution(None, f"ambiguous option: {spelling} could match {', '.join(ambiguous)}",
                          ambiguous[0][2:])
    dashed = key.replace("_", "-")
    if dashed != key and ("--" + dashed) in SGLANG.by_cli:
        return Resolution(None, f"SGLang config keys must use the CLI dash spelling: `{key}` is passed as "
                                f"`--{key}`, an unrecognized argument", dashed)
    return typo(SGLANG, dashed, [name[2:] for name in SGLANG.by_cli])


def detection_key(key: str) -> Resolution:
    """Like :func:`resolve_key`, but an underscore spelling (or an option the config merger refuses) still
    counts as SGLang's for detection."""
    resolution = resolve_key(key)
    if resolution.flag is None:
        return Resolution(SGLANG.by_cli.get("--" + key.replace("_", "-")))
    if key == "model":  # SGLang's alias of model-path is vLLM's own key: no sign of SGLang
        return replace(resolution, weak=True)
    return resolution


def adapt_sglang(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("sglang", DIALECT, path, document)
    read_flat_config(SGLANG, plan, document, resolve_key)
    return plan
