"""The parlint plan format (``kind: ParallelPlan``), schema ``parlint/schemas/plan.schema.json``.

A plan states the structure directly: declared stages (layer ranges, GPU ids, attention TP/SP, expert
placement, what TP applies to) are kept as written, so the rules can check contiguity, overlap and
GPU disjointness. Schema errors become notes at the offending keys, never an exception: an unknown key
goes to ``unknown_keys`` (with the closest valid key), any other violation to ``invalid_values``.

Example::

    kind: ParallelPlan
    model: deepseek-ai/DeepSeek-V3
    hardware: {gpu: H200, gpus_per_node: 8, nodes: 2}
    objective: throughput
    decisions:
      - {step: structure, reason: 61 layers, 256 routed experts on layers 3-60, MLA}
      - {step: structural, degrees: {pp: 2, ep: 8}, reason: FP8 weights need two nodes; experts whole per GPU}
      - {step: operator, degrees: {tp: 1}, reason: MLA attention runs data-parallel inside the EP group}
      - {step: data, degrees: {dp: 1}, reason: one replica fills the 16 GPUs}
    stages:
      - {layers: [0, 31], gpus: [0, 1, 2, 3, 4, 5, 6, 7], attention: {tp: 1}, experts: {ep: 8, per_gpu: 32}}
      - {layers: [31, 61], gpus: [8, 9, 10, 11, 12, 13, 14, 15], attention: {tp: 1}, experts: {ep: 8, per_gpu: 32}}
    replicas: 1
    gpus: 16
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from typing import Any

from parlint.linter.adapters.common import new_plan
from parlint.linter.diagnostics import Range
from parlint.linter.loader import Document, escape_pointer_token, join_pointer
from parlint.linter.plan import Decision, DeclaredPlan, DeclaredStage, GpuSupply, KeyNote, Sourced

DIALECT = "parlint-plan"

_DEGREE_SETTINGS = {"pp": "pp", "ep": "ep", "tp": "tp", "dp": "dp", "sp": "cp", "cp": "cp", "attn_dp": "attn_dp"}
"""Decision degrees -> canonical settings (SP and CP both partition the attention phase)."""


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    from importlib.resources import files

    schema: dict[str, Any] = json.loads(files("parlint.schemas").joinpath("plan.schema.json").read_text("utf-8"))
    return schema


def adapt_parlint_plan(path: str, document: Document) -> DeclaredPlan:
    plan = new_plan("parlint", DIALECT, path, document)
    data: dict[Any, Any] = document.data
    _validate(plan, document)
    source_map = document.source_map

    def sourced(pointer: str, value: Any) -> Sourced[Any]:
        return Sourced(value, path, source_map.value(pointer), pointer.rsplit("/", 1)[-1])

    if isinstance(data.get("model"), str):
        plan.model = sourced("/model", data["model"])
    hardware = data.get("hardware")
    if isinstance(hardware, dict):
        if isinstance(hardware.get("gpu"), str):
            plan.gpu = sourced("/hardware/gpu", hardware["gpu"])
        if _positive(hardware.get("gpus_per_node")):
            plan.gpus_per_node = sourced("/hardware/gpus_per_node", hardware["gpus_per_node"])
        if _positive(hardware.get("nodes")):
            plan.settings["nnodes"] = sourced("/hardware/nodes", hardware["nodes"])
    if data.get("objective") in ("latency", "throughput"):
        plan.objective = sourced("/objective", data["objective"])
    _decisions(plan, document, data.get("decisions"))
    _stages(plan, document, data.get("stages"))
    if _positive(data.get("replicas")):
        plan.settings["replicas"] = sourced("/replicas", data["replicas"])
    if _positive(data.get("gpus")):
        plan.supply.append(GpuSupply(sourced("/gpus", data["gpus"]), "total", "the plan's `gpus`"))
    return plan


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _validate(plan: DeclaredPlan, document: Document) -> None:
    from jsonschema import Draft202012Validator

    schema = plan_schema()
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(document.data), key=lambda item: list(map(str, item.path))):
        pointer = "".join("/" + escape_pointer_token(part) for part in error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
            for key in error.instance:
                if key in allowed:
                    continue
                match = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                plan.unknown_keys.append(KeyNote(
                    str(key), plan.file, document.source_map.key(join_pointer(pointer, key)),
                    f"unknown ParallelPlan key `{key}`" + (f" (allowed here: {', '.join(allowed)})" if allowed else ""),
                    match[0] if match else None))
            continue
        where = document.source_map.value(pointer)
        spelling = pointer.rsplit("/", 1)[-1] or "ParallelPlan"
        plan.invalid_values.append(KeyNote(spelling, plan.file, where, f"{pointer or '/'}: {error.message}"))


def _decisions(plan: DeclaredPlan, document: Document, decisions: Any) -> None:
    if not isinstance(decisions, list):
        return
    for index, entry in enumerate(decisions):
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), str):
            continue
        pointer = f"/decisions/{index}"
        degrees = entry.get("degrees")
        valid = {name: value for name, value in (degrees.items() if isinstance(degrees, dict) else [])
                 if isinstance(name, str) and _positive(value)}
        plan.decisions.append(Decision(entry["step"], valid, str(entry.get("reason", "")), plan.file,
                                       document.source_map.value(pointer)))
        for name, value in valid.items():
            setting = _DEGREE_SETTINGS.get(name)
            if setting is not None:
                where = document.source_map.value(f"{pointer}/degrees/{name}")
                plan.settings[setting] = Sourced(value, plan.file, where, f"decisions[{index}].degrees.{name}")


def _stages(plan: DeclaredPlan, document: Document, stages: Any) -> None:
    if not isinstance(stages, list):
        return
    for index, entry in enumerate(stages):
        if not isinstance(entry, dict):
            continue
        layers = entry.get("layers")
        if not (isinstance(layers, list) and len(layers) == 2 and all(_natural(item) for item in layers)):
            continue
        gpus = entry.get("gpus")
        gpu_ids = tuple(gpus) if isinstance(gpus, list) and all(_natural(item) for item in gpus) else None
        attention = _mapping(entry.get("attention"))
        experts = _mapping(entry.get("experts"))
        scope = entry.get("tp_applies_to")
        plan.stages.append(DeclaredStage(
            layers=(layers[0], layers[1]),
            gpus=gpu_ids,
            attention_tp=_degree(attention.get("tp")),
            expert_parallel=_degree(experts.get("ep")),
            file=plan.file,
            range=_stage_range(document, index),
            tp_scope=tuple(str(item) for item in scope) if isinstance(scope, list) else (),
            attention_sp=_degree(attention.get("sp")),
            experts_per_gpu=_degree(experts.get("per_gpu")),
        ))


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _natural(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _degree(value: Any) -> int | None:
    return value if _positive(value) else None


def _stage_range(document: Document, index: int) -> Range:
    return document.source_map.value(f"/stages/{index}")
