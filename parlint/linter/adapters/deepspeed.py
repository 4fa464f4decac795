"""DeepSpeed inference config JSON and DeepSpeed-MII configs (frameworks.md §3.1).

DeepSpeed: ``DeepSpeedInferenceConfig`` (``deepspeed/inference/config.py``) accepts field names and
aliases (``tensor_parallel``/``tp``), forbids unknown keys, and migrates deprecated top-level keys
(``mp_size`` -> ``tensor_parallel.tp_size``, ``ep_size`` -> ``moe.ep_size`` ...). ``moe: true`` is
the short form of ``moe.enabled``. A top-level value ``"auto"`` is dropped before validation (the
non-strict ``DeepSpeedConfigModel``), so the key keeps its default. MII: ``ModelConfig`` (``mii/config.py``)
fields, at the top level or under ``model_config``; a ``device_map`` written as an int or a list is the
``localhost`` map, as ``ModelConfig.make_device_map_dict`` makes it.
"""

from __future__ import annotations

from typing import Any

from parlint.linter.adapters.common import new_plan, record_value, typo
from parlint.linter.adapters.flags import DEEPSPEED, MII, Flag
from parlint.linter.loader import Document, join_pointer
from parlint.linter.plan import DeclaredPlan, KeyNote

DEEPSPEED_DIALECT = "deepspeed-inference-json"
MII_DIALECT = "mii-config"

_SECTIONS = {"tensor_parallel": "tensor_parallel", "tp": "tensor_parallel", "moe": "moe"}
_CONFIG_KEYS = [key for key, flag in DEEPSPEED.by_key.items() if not flag.cli]


def _config_flag(path: str) -> Flag | None:
    flag = DEEPSPEED.by_key.get(path)
    return flag if flag is not None and not flag.cli else None


def _is_deprecated(path: str) -> bool:
    flag = _config_flag(path)
    return flag is not None and flag.deprecated is not None


def adapt_deepspeed(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("deepspeed", DEEPSPEED_DIALECT, path, document)
    data: dict[Any, Any] = document.data
    members: list[tuple[str, str, Any]] = []  # (dotted key, pointer, value)
    for key, value in data.items():
        pointer = join_pointer("", key)
        if value == "auto":
            continue
        if str(key) in _SECTIONS and isinstance(value, dict):
            for sub_key, sub_value in value.items():
                members.append((f"{key}.{sub_key}", join_pointer(pointer, sub_key), sub_value))
        elif str(key) == "moe" and isinstance(value, bool):
            members.append(("moe.enabled", pointer, value))
        else:
            members.append((str(key), pointer, value))
    # A deprecated key is migrated to its replacement; a replacement written too takes precedence.
    members.sort(key=lambda member: not _is_deprecated(member[0]))
    for dotted, pointer, value in members:
        flag = _config_flag(dotted)
        key_range = document.source_map.key(pointer)
        if flag is None:
            resolution = typo(DEEPSPEED, dotted, _CONFIG_KEYS)
            if resolution.reason:
                plan.unknown_keys.append(KeyNote(dotted, path, key_range, resolution.reason,
                                                 resolution.replacement))
            continue
        if flag.deprecated:
            plan.deprecated_keys.append(KeyNote(dotted, path, key_range, f"`{dotted}` is deprecated in "
                                                "DeepSpeed inference config", flag.deprecated))
        record_value(plan, document, flag, value, pointer, dotted)
    return plan


def adapt_mii(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("mii", MII_DIALECT, path, document)
    data: dict[Any, Any] = document.data
    base = ""
    if isinstance(data.get("model_config"), dict):
        base = join_pointer("", "model_config")
        data = data["model_config"]
    for key, value in data.items():
        pointer = join_pointer(base, key)
        flag = MII.by_key.get(str(key))
        if flag is None:
            resolution = typo(MII, str(key))
            if resolution.reason:
                plan.unknown_keys.append(KeyNote(str(key), path, document.source_map.key(pointer),
                                                 resolution.reason, resolution.replacement))
            continue
        if flag.setting == "device_map":
            value = _device_map_dict(value)
        record_value(plan, document, flag, value, pointer, str(key))
    return plan


def _device_map_dict(value: Any) -> Any:
    """MII ``make_device_map_dict``: ``3`` is ``{"localhost": [[3]]}``, ``[0, 1]`` is ``{"localhost": [[0, 1]]}``
    and ``[[0, 1], [2, 3]]`` is ``{"localhost": [[0, 1], [2, 3]]}``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"localhost": [[value]]}
    if isinstance(value, list) and value and isinstance(value[0], int) and not isinstance(value[0], bool):
        return {"localhost": [value]}
    if isinstance(value, list) and value and isinstance(value[0], list):
        return {"localhost": value}
    return value
