"""KServe ``LLMInferenceService`` (``serving.kserve.io`` v1alpha1 and v1alpha2, same parallelism fields).

KServe does not take the engine command from the manifest: its well-known ``LLMInferenceServiceConfig``
templates (``config/llmisvcconfig/`` in kserve/kserve) render ``vllm serve`` from ``spec.parallelism``
(``ParallelismSpec``: ``tensor``, ``pipeline``, ``data``, ``dataLocal``, ``dataRPCPort``, ``expert``):

- without ``spec.worker`` (``config-llm-template.yaml``, one pod per replica): only
  ``--tensor-parallel-size {tensor}``; ``data``, ``dataLocal`` and ``expert`` are not read there;
- with ``spec.worker`` and data parallelism (``config-llm-worker-data-parallel.yaml``, a LeaderWorkerSet group
  per replica): every pod runs ``--tensor-parallel-size {tensor} --data-parallel-size {data}
  --data-parallel-size-local {dataLocal}`` (plus ``--enable-expert-parallel`` with ``expert: true``), workers
  ``--headless``; a group has ``data / dataLocal`` pods (``ParallelismSpec.GetSize``);
- with ``spec.worker`` and pipeline parallelism KServe ships no template, so the command is unknown.

The ``main`` container's ``args`` and its ``VLLM_ADDITIONAL_ARGS`` variable are appended to the command;
``spec.prefill`` is a second workload of the same shape. Each pod gets the GPUs its ``main`` container
requests: KServe computes no GPU count. The model is ``spec.model.uri`` (``hf://org/name``), else
``spec.model.name``. The validation webhook (``llm_inference_service_validation.go``) refuses ``data`` without
``dataLocal`` and the reverse, ``worker`` without data or pipeline parallelism, and both at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parlint.linter.diagnostics import Position, Range
from parlint.linter.launch.build import Site, plan_from_call
from parlint.linter.launch.commands import EngineCall
from parlint.linter.launch.facts import Launch
from parlint.linter.loader import join_pointer
from parlint.linter.plan import GpuSupply, KeyNote, Sourced
from parlint.linter.shell import Word

if TYPE_CHECKING:
    from parlint.linter.launch.manifests import _Reader

DIALECT = "kserve-llmisvc"
MULTI_NODE_ONLY = ("data", "dataLocal", "expert")
_FLAGS = {"tensor": "--tensor-parallel-size", "data": "--data-parallel-size",
          "dataLocal": "--data-parallel-size-local"}


def from_llm_inference_service(reader: _Reader, data: dict[str, Any]) -> Launch:
    launch = Launch()
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return launch
    model = _model(reader, spec)
    _workload(reader, launch, spec, "/spec", model)
    if isinstance(spec.get("prefill"), dict):
        _workload(reader, launch, spec["prefill"], "/spec/prefill", model)
    return launch


def _model(reader: _Reader, spec: dict[str, Any]) -> list[Word]:
    model = spec.get("model")
    if not isinstance(model, dict):
        return []
    uri = model.get("uri")
    if isinstance(uri, str) and uri.startswith("hf://"):
        where = reader.value_range("/spec/model/uri")
        start = Position(where.start.line, where.start.column + len("hf://"))
        return [Word(uri[len("hf://"):], Range(start, where.end), quoted=True)]
    name = model.get("name")
    if isinstance(name, str) and name.count("/") == 1:  # a served name that is a Hugging Face id
        return [reader.word("/spec/model/name", name)]
    return []


def _workload(reader: _Reader, launch: Launch, workload: dict[str, Any], pointer: str, model: list[Word]) -> None:
    raw = workload.get("parallelism")
    parallelism: dict[str, Any] = raw if isinstance(raw, dict) else {}
    multi_node = isinstance(workload.get("worker"), dict)
    refusals = _refusals(reader, parallelism, pointer, multi_node)
    if multi_node and "pipeline" in parallelism and not refusals:
        return  # no shipped template starts pipeline stages: the command is unknown
    words = list(model)
    ignored: list[KeyNote] = []
    for key, value in parallelism.items():
        key_pointer = join_pointer(f"{pointer}/parallelism", key)
        if key in MULTI_NODE_ONLY and not multi_node:
            ignored.append(KeyNote(f"parallelism.{key}", reader.file, reader.key_range(key_pointer),
                                   f"KServe's single-node template reads only `parallelism.tensor`: `{key}` takes "
                                   "effect only with `worker` (a multi-node LeaderWorkerSet)"))
        elif key == "expert" and value is True:
            words.append(Word("--enable-expert-parallel", reader.key_range(key_pointer), quoted=True))
        elif key in _FLAGS and value is not None:
            words += [Word(_FLAGS[key], reader.key_range(key_pointer), quoted=True), reader.word(key_pointer, value)]
    leader = _main(workload.get("template"))
    if leader is not None:
        index, container = leader
        container_pointer = f"{pointer}/template/containers/{index}"
        words += reader.words(f"{container_pointer}/args", container.get("args"))
        words += _additional_args(reader, container, container_pointer)
    call = EngineCall("vllm", reader.key_range(f"{pointer}/parallelism" if parallelism else pointer), words)
    site = Site(reader.file, DIALECT, supply=_supply(reader, workload, pointer, parallelism, multi_node))
    plan = plan_from_call(call, site)
    if plan is None:
        return
    plan.unknown_keys.extend(ignored)
    plan.invalid_values.extend(refusals)
    launch.plans.append(plan)


def _refusals(reader: _Reader, parallelism: dict[str, Any], pointer: str, multi_node: bool) -> list[KeyNote]:
    """What KServe's validation webhook rejects (its messages, quoted)."""
    def at(key: str) -> Range:
        return reader.key_range(join_pointer(f"{pointer}/parallelism", key))

    notes = []
    has_data, has_local = parallelism.get("data") is not None, parallelism.get("dataLocal") is not None
    if has_data and not has_local:
        notes.append(KeyNote("parallelism.data", reader.file, at("data"),
                             "KServe refuses it: \"dataLocal must be set when data is set\""))
    if has_local and not has_data:
        notes.append(KeyNote("parallelism.dataLocal", reader.file, at("dataLocal"),
                             "KServe refuses it: \"data must be set when dataLocal is set\""))
    if parallelism.get("pipeline") is not None and (has_data or has_local):
        notes.append(KeyNote("parallelism.pipeline", reader.file, at("pipeline"),
                             "KServe refuses it: \"cannot set both pipeline parallelism and data parallelism "
                             "(data or dataLocal) simultaneously\""))
    if multi_node and not (has_data or has_local or parallelism.get("pipeline") is not None):
        notes.append(KeyNote("worker", reader.file, reader.key_range(f"{pointer}/worker"),
                             "KServe refuses it: \"when worker is specified, parallelism must be configured for "
                             "either data parallelism or pipeline parallelism\""))
    return notes


def _main(pod: Any) -> tuple[int, dict[str, Any]] | None:
    """The engine container of a pod template: the one named ``main`` (the templates' name), else the first."""
    containers = pod.get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list):
        return None
    found = [(index, item) for index, item in enumerate(containers) if isinstance(item, dict)]
    return next(((index, item) for index, item in found if item.get("name") == "main"), found[0] if found else None)


def _additional_args(reader: _Reader, container: dict[str, Any], pointer: str) -> list[Word]:
    for index, variable in enumerate(container.get("env") or []):
        if isinstance(variable, dict) and variable.get("name") == "VLLM_ADDITIONAL_ARGS":
            return reader.words(f"{pointer}/env/{index}/value", variable.get("value"))
    return []


def _supply(reader: _Reader, workload: dict[str, Any], pointer: str, parallelism: dict[str, Any],
            multi_node: bool) -> list[GpuSupply]:
    from parlint.linter.launch.manifests import container_gpus

    leader = _main(workload.get("template"))
    if leader is None:
        return []
    count = container_gpus(reader, leader[1], f"{pointer}/template/containers/{leader[0]}")
    if count is None:
        return []
    what = f"LLMInferenceService `main` container ({count.spelling}: {count.value})"
    if not multi_node:
        return [GpuSupply(count, "node", what)]
    data, local = parallelism.get("data"), parallelism.get("dataLocal")
    pods = max(data if isinstance(data, int) else 1, 1) // max(local if isinstance(local, int) else 1, 1)
    worker = _main(workload.get("worker"))
    worker_count = container_gpus(reader, worker[1], f"{pointer}/worker/containers/{worker[0]}") if worker else None
    if pods <= 1 or worker_count is None or worker_count.value == count.value:
        return [GpuSupply(count, "node", f"{what} x {max(pods, 1)} pods per group", max(pods, 1))]
    group = count.value + worker_count.value * (pods - 1)
    return [GpuSupply(Sourced(group, reader.file, count.range, count.spelling), "total",
                      f"the LLMInferenceService group (leader + {pods - 1} workers: {group} GPUs)")]
