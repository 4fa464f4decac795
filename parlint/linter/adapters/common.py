"""Reading a flat engine config (vLLM, SGLang, TensorRT-LLM YAML) into a :class:`DeclaredPlan`.

The three engines differ only in how a file key names a flag; each passes a ``resolve`` function
that says which :class:`Flag` a key is, or why the engine would not accept it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parlint.linter.adapters.flags import BOOL, JSON, STORE_TRUE, EngineFlags, Flag, closest_spelling, coerce
from parlint.linter.loader import Document, join_pointer
from parlint.linter.plan import DeclaredPlan, KeyNote, Sourced


@dataclass(frozen=True)
class Resolution:
    """What a file key means: a flag, or a refusal with the spelling the engine would accept."""

    flag: Flag | None
    reason: str = ""
    replacement: str | None = None
    weak: bool = False  # valid, but no sign of this engine: an argparse prefix, or a key another engine owns


Resolver = Callable[[str], Resolution]


def new_plan(engine: str, dialect: str, path: str, document: Document) -> DeclaredPlan:
    return DeclaredPlan(engine, path, document.source_map.value(""), dialect=dialect)


def read_flat_config(table: EngineFlags, plan: DeclaredPlan, document: Document, resolve: Resolver,
                     *, false_drops_store_true: bool = True) -> None:
    """Record every top-level key of ``document`` on ``plan``, with its value's exact range."""
    data = document.data
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        pointer = join_pointer("", key)
        spelling = str(key)
        resolution = resolve(spelling)
        key_range = document.source_map.key(pointer)
        if resolution.flag is None:
            if resolution.reason:
                plan.unknown_keys.append(KeyNote(spelling, plan.file, key_range, resolution.reason,
                                                 resolution.replacement))
            continue
        flag = resolution.flag
        if flag.removed:
            plan.unknown_keys.append(KeyNote(spelling, plan.file, key_range,
                                             flag.note or f"`{spelling}` was removed", flag.removed))
            continue
        if flag.kind == STORE_TRUE and value is False and false_drops_store_true:
            continue  # the engine omits the flag, so it never sees it
        if flag.deprecated:
            plan.deprecated_keys.append(KeyNote(spelling, plan.file, key_range,
                                                flag.note or f"`{spelling}` is deprecated", flag.deprecated))
        record_value(plan, document, flag, value, pointer, spelling)


def record_value(plan: DeclaredPlan, document: Document, flag: Flag, value: Any, pointer: str,
                 spelling: str) -> None:
    """Coerce one value; store it under its canonical setting, or note why it is unusable."""
    where = document.source_map.value(pointer)
    if flag.kind == JSON and flag.subsettings and isinstance(value, dict):
        for sub_key, setting, kind in flag.subsettings:
            if sub_key in value:
                sub_pointer = join_pointer(pointer, sub_key)
                store(plan, flag, value[sub_key], f"{spelling}.{sub_key}", setting, kind,
                      document.source_map.value(sub_pointer))
        return
    store(plan, flag, value, spelling, flag.setting, None, where)


def store(plan: DeclaredPlan, flag: Flag, value: Any, spelling: str, setting: str | None, kind: str | None,
          where: Any) -> None:
    converted, problem = coerce(flag, value, kind)
    if problem:
        plan.invalid_values.append(KeyNote(spelling, plan.file, where, problem))
        return
    if setting is None:
        return
    if setting == "model":
        plan.model = Sourced(str(converted), plan.file, where, spelling)
        return
    plan.settings[setting] = Sourced(converted, plan.file, where, spelling)


def abbreviated(table: EngineFlags, key: str) -> Resolution | None:
    """A config key the engine emits as ``--key`` and argparse expands as a prefix (``pipeline-parallel:``
    is ``--pipeline-parallel-size``), or refuses as ambiguous; None when it abbreviates nothing."""
    expansions = table.expansions("--" + key)
    if len(expansions) == 1:
        return Resolution(table.cli_flag(expansions[0]), weak=True)
    if expansions:
        return Resolution(None, f"ambiguous option: --{key} could match {', '.join(expansions)}", expansions[0][2:])
    return None


def typo(table: EngineFlags, key: str, candidates: list[str] | None = None) -> Resolution:
    """An unknown key that is close to a known one is a typo the engine would reject; an option of the engine
    that parlint does not model is none."""
    if table.options_source and table.is_option("--" + key):  # vLLM/SGLang: each key is passed as `--key`
        return Resolution(None)
    pool = candidates if candidates is not None else list(table.by_key)
    pool = [*pool, *(name[2:] for name in table.other_options if name.startswith("--"))]
    match = closest_spelling(key, pool)
    if match:
        return Resolution(None, f"unrecognized {table.engine} option `{key}`", match)
    return Resolution(None)


def is_bool_flag(flag: Flag) -> bool:
    return flag.kind in (BOOL, STORE_TRUE)
