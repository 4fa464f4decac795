"""Helm values of the vLLM production-stack chart (``vllm-project/production-stack``, ``helm/``).

The chart renders one engine per ``servingEngineSpec.modelSpec[]`` entry. Its templates
(``helm/templates/deployment-vllm-multi.yaml``, ``ray-cluster.yaml``) build the command
``vllm serve <modelURL> --host 0.0.0.0 --port ...`` and then, from ``vllmConfig`` only:
``enableChunkedPrefill`` (``--[no-]enable-chunked-prefill``), ``enablePrefixCaching``, ``maxModelLen``
(``--max-model-len``), ``dtype``, ``tensorParallelSize`` (``--tensor-parallel-size``), ``maxNumSeqs``,
``gpuMemoryUtilization`` (``--gpu_memory_utilization``), ``maxLoras`` and finally every
``extraArgs`` item verbatim. The GPU request comes from ``requestGPU`` (``chart.resources``);
``replicaCount`` independent replicas (Deployment ``replicas``), or, with ``raySpec``, one engine
over a Ray cluster of the head (``raySpec.headNode.requestGPU``) plus ``replicaCount`` workers, where
``vllmConfig.pipelineParallelSize`` is also read.

The enlarged ``/dev/shm`` (``emptyDir: {medium: Memory}``, ``shmSize`` default 20Gi) is mounted only
when ``vllmConfig`` has ``tensorParallelSize``: TP passed through ``extraArgs`` gets none (PL904,
vllm-project/production-stack#276).

A vLLM key written at the ``modelSpec`` level (``tensorParallelSize``, ``extraArgs`` ...) is never read
by the chart: it becomes an unknown key (PL901) naming ``vllmConfig.<key>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parlint.linter.launch.build import Site, plan_from_call
from parlint.linter.launch.commands import EngineCall
from parlint.linter.launch.facts import Launch, PodFacts
from parlint.linter.loader import join_pointer
from parlint.linter.plan import GpuSupply, KeyNote, Sourced
from parlint.linter.shell import Word

if TYPE_CHECKING:
    from parlint.linter.launch.manifests import _Reader

VLLM_CONFIG_FLAGS: dict[str, str] = {
    "maxModelLen": "--max-model-len",
    "dtype": "--dtype",
    "tensorParallelSize": "--tensor-parallel-size",
    "maxNumSeqs": "--max-num-seqs",
    "gpuMemoryUtilization": "--gpu_memory_utilization",
    "maxLoras": "--max_loras",
}
"""``vllmConfig`` keys the chart turns into ``--flag value`` pairs."""

VLLM_CONFIG_SWITCHES = ("enableChunkedPrefill", "enablePrefixCaching")
VLLM_CONFIG_OTHER = frozenset({"extraArgs", "v0", "v1", "prometheusMultiprocDir"})
RAY_ONLY = frozenset({"pipelineParallelSize"})


def _flag_word(reader: _Reader, pointer: str, flag: str) -> Word:
    return Word(flag, reader.key_range(pointer), quoted=True)


def from_values(reader: _Reader, serving: dict[str, Any]) -> Launch:
    launch = Launch()
    for index, spec in enumerate(serving["modelSpec"]):
        if isinstance(spec, dict):
            _model_spec(reader, launch, spec, f"/servingEngineSpec/modelSpec/{index}")
    return launch


def _model_spec(reader: _Reader, launch: Launch, spec: dict[str, Any], pointer: str) -> None:
    raw_config = spec.get("vllmConfig")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    ray = isinstance(spec.get("raySpec"), dict)
    name = str(spec.get("name", pointer.rsplit("/", 1)[-1]))
    model_pointer = f"{pointer}/modelURL"
    words: list[Word] = []
    if "modelURL" in spec:
        words.append(reader.word(model_pointer, spec["modelURL"]))
    for key, value in config.items():
        key_pointer = join_pointer(f"{pointer}/vllmConfig", key)
        flag = VLLM_CONFIG_FLAGS.get(key) or ("--pipeline-parallel-size" if ray and key in RAY_ONLY else None)
        if flag is not None and value is not None:
            words += [_flag_word(reader, key_pointer, flag), reader.word(key_pointer, value)]
        elif key in VLLM_CONFIG_SWITCHES:
            switch = "--" + ("" if value else "no-") + ("enable-chunked-prefill" if key == "enableChunkedPrefill"
                                                         else "enable-prefix-caching")
            words.append(_flag_word(reader, key_pointer, switch))
    extra = config.get("extraArgs")
    if isinstance(extra, list):
        words += reader.words(f"{pointer}/vllmConfig/extraArgs", extra)
    program = reader.key_range(model_pointer) if "modelURL" in spec else reader.key_range(pointer)
    call = EngineCall("vllm", program, words)
    site = Site(reader.file, "helm-production-stack", supply=_supply(reader, spec, pointer, name, ray),
                gpu=_gpu_type(reader, spec, pointer))
    plan = plan_from_call(call, site)
    if plan is None:
        return
    plan.unknown_keys.extend(_misplaced(reader, spec, config, pointer, ray))
    launch.plans.append(plan)
    where = reader.key_range(f"{pointer}/name") if "name" in spec else reader.key_range(pointer)
    launch.pods.append(PodFacts(plan, f"production-stack modelSpec `{name}`", where,
                                shm="tensorParallelSize" in config, host_ipc=_host_ipc(spec)))


def _gpu_type(reader: _Reader, spec: dict[str, Any], pointer: str) -> Sourced[str] | None:
    """The GPU product a ``nodeSelectorTerms`` entry pins (rendered into required node affinity)."""
    from parlint.linter.launch.manifests import GPU_LABELS

    terms = spec.get("nodeSelectorTerms")
    for term_index, term in enumerate(terms if isinstance(terms, list) else []):
        expressions = term.get("matchExpressions") if isinstance(term, dict) else None
        for index, expression in enumerate(expressions if isinstance(expressions, list) else []):
            values = expression.get("values") if isinstance(expression, dict) else None
            if (isinstance(expression, dict) and expression.get("key") in GPU_LABELS
                    and expression.get("operator") == "In" and isinstance(values, list) and len(values) == 1):
                where = reader.value_range(
                    f"{pointer}/nodeSelectorTerms/{term_index}/matchExpressions/{index}/values/0")
                return Sourced(str(values[0]), reader.file, where, str(expression["key"]))
    return None


def _host_ipc(spec: dict[str, Any]) -> bool:
    """The chart sets ``hostIPC: true`` for LMCache prefill/decode (``lmcacheConfig.enablePD``)."""
    cache = spec.get("lmcacheConfig")
    return isinstance(cache, dict) and cache.get("enablePD") is True


def _supply(reader: _Reader, spec: dict[str, Any], pointer: str, name: str, ray: bool) -> list[GpuSupply]:
    count = reader.count(f"{pointer}/requestGPU", spec.get("requestGPU"), "requestGPU")
    if count is None:
        return []
    if not ray:
        return [GpuSupply(count, "node", f"production-stack modelSpec `{name}` (requestGPU: {count.value})")]
    head = reader.count(f"{pointer}/raySpec/headNode/requestGPU",
                        _get(spec, "raySpec", "headNode", "requestGPU"), "requestGPU")
    replicas = spec.get("replicaCount", 1)
    workers = replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 1
    total = (head.value if head else count.value) + workers * count.value
    return [GpuSupply(Sourced(total, reader.file, count.range, "requestGPU"), "total",
                      f"production-stack Ray cluster `{name}` (head + {workers} workers: {total} GPUs)")]


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _misplaced(reader: _Reader, spec: dict[str, Any], config: dict[str, Any], pointer: str,
               ray: bool) -> list[KeyNote]:
    notes = []
    config_keys = {*VLLM_CONFIG_FLAGS, *VLLM_CONFIG_SWITCHES, *VLLM_CONFIG_OTHER, *RAY_ONLY}
    for key in spec:
        if key in config_keys:
            where = reader.key_range(join_pointer(pointer, key))
            notes.append(KeyNote(str(key), reader.file, where,
                                 f"the production-stack chart reads `{key}` only under `vllmConfig`; at the "
                                 f"modelSpec level it is silently ignored", f"vllmConfig.{key}"))
    for key in config:
        if key in RAY_ONLY and not ray:
            where = reader.key_range(join_pointer(f"{pointer}/vllmConfig", key))
            notes.append(KeyNote(str(key), reader.file, where,
                                 f"the production-stack chart reads vllmConfig `{key}` only with `raySpec` "
                                 "(KubeRay); without it the engine runs with pipeline parallel size 1",
                                 "--pipeline-parallel-size in vllmConfig.extraArgs"))
    return notes

