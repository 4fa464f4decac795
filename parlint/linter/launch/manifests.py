"""Launch commands and GPU supply in YAML manifests: Kubernetes, docker-compose, SkyPilot, Helm values.

A ConfigMap's shell scripts (keys ``*.sh``/``*.bash`` or values with a shebang) are read as scripts.

Kubernetes (every kind whose pod templates carry containers: Pod, Deployment, StatefulSet, Job,
CronJob, LeaderWorkerSet, KServe InferenceService/ServingRuntime/LLMInferenceService, Ray
RayCluster/RayService/RayJob ...): a container runs ``command + args``, or the image's entrypoint
with ``args`` (:data:`~parlint.linter.launch.commands.IMAGE_ENTRYPOINTS`). ``$(VAR)`` in
``command``/``args`` expands from the container's ``env`` as the kubelet does; ``bash -c`` scripts
expand ``$VAR`` from the same ``env``. Supply is the container's ``nvidia.com/gpu``/``amd.com/gpu``
limit (else request) per pod:

- LeaderWorkerSet: one engine spans a group of ``spec.leaderWorkerTemplate.size`` pods (leader +
  workers), so the per-pod count repeats ``size`` times (``units``), or, when leader and worker pods
  differ, the group total; ``$LWS_GROUP_SIZE`` is the size (the LWS controller injects it);
- Ray clusters: the engine started on the head uses the GPUs of the whole cluster (head + every
  worker group's ``replicas``), a ``total`` supply;
- other workloads: each replica is an independent engine, so ``replicas`` does not multiply.

The GPU type comes from a node selector or required node affinity on ``nvidia.com/gpu.product``,
``cloud.google.com/gke-accelerator`` or ``karpenter.k8s.aws/instance-gpu-name``.

docker-compose: ``command``/``entrypoint`` (string or list), ``environment``,
``deploy.resources.reservations.devices[].count``/``device_ids``.

SkyPilot: ``resources.accelerators`` (``H100:8``, a list or a mapping of alternatives, ``H100:{4,8}``;
``any_of``/``ordered`` lists): every alternative is its own plan, with ``$SKYPILOT_NUM_GPUS_PER_NODE``
and ``$SKYPILOT_NUM_NODES`` resolved for it; ``num_nodes`` multiplies the per-node supply.

vLLM production-stack Helm values: :mod:`parlint.linter.launch.helm`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from parlint.linter.diagnostics import Position, Range
from parlint.linter.launch.build import Site, plan_from_call
from parlint.linter.launch.commands import EngineCall, find_calls
from parlint.linter.launch.facts import Launch, PodFacts
from parlint.linter.launch.scripts import launch_from_script, nested_scripts
from parlint.linter.loader import Document, join_pointer
from parlint.linter.plan import DeclaredPlan, GpuSupply, Sourced
from parlint.linter.shell import Word

GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
GPU_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator", "karpenter.k8s.aws/instance-gpu-name")
_KUBELET_VARIABLE = re.compile(r"\$\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)")
_TEMPLATE = "{{"
_COMPOSE_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-(?P<default>[^}]*)\}")
RAY_KINDS = frozenset({"RayCluster", "RayService", "RayJob"})


def from_document(file: str, lines: Sequence[str], document: Document) -> Launch:
    data = document.data
    if not isinstance(data, dict):
        return Launch()
    reader = _Reader(file, lines, document)
    serving = data.get("servingEngineSpec")
    if isinstance(serving, dict) and isinstance(serving.get("modelSpec"), list):
        from parlint.linter.launch.helm import from_values

        return from_values(reader, serving)
    if isinstance(data.get("services"), dict) and "kind" not in data:
        return _compose(reader, data["services"])
    if "kind" in data and "apiVersion" in data:
        return _kubernetes(reader, data)
    if "run" in data and ("resources" in data or "num_nodes" in data):
        return _skypilot(reader, data)
    if isinstance(data.get("jobs"), dict) and ("on" in data or True in data):  # YAML 1.1 reads `on:` as True
        return _github_workflow(reader, data)
    return Launch()


class _Reader:
    """Positions and words of one YAML document."""

    def __init__(self, file: str, lines: Sequence[str], document: Document) -> None:
        self.file = file
        self.lines = lines
        self.document = document

    def value_range(self, pointer: str) -> Range:
        """The value's range, without the quotes of a one-line quoted scalar."""
        where = self.document.source_map.value(pointer)
        if where.start.line == where.end.line and 1 <= where.start.line <= len(self.lines):
            raw = self.lines[where.start.line - 1][where.start.column - 1:where.end.column - 1]
            if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
                return Range(Position(where.start.line, where.start.column + 1),
                             Position(where.end.line, where.end.column - 1))
        return where

    def key_range(self, pointer: str) -> Range:
        return self.document.source_map.key(pointer)

    def word(self, pointer: str, value: Any, env: dict[str, Word] | None = None) -> Word:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        unresolved = _TEMPLATE in text

        def expand(match: re.Match[str]) -> str:
            nonlocal unresolved
            known = (env or {}).get(match.group("name"))
            if known is None or known.unresolved:
                unresolved = True
                return match.group(0)
            return known.text

        text = _KUBELET_VARIABLE.sub(expand, text)
        unresolved = unresolved or "$" in text
        return Word(text, self.value_range(pointer), unresolved, quoted=True)

    def words(self, pointer: str, value: Any, env: dict[str, Word] | None = None) -> list[Word]:
        if isinstance(value, list):
            return [self.word(join_pointer(pointer, index), item, env) for index, item in enumerate(value)
                    if isinstance(item, (str, int, float))]
        if isinstance(value, str):
            from parlint.linter.launch.fragments import script_at

            script = script_at(self.lines, self.document.source_map.value(pointer),
                               {name: word.text for name, word in (env or {}).items()}, yaml_scalar=True)
            return [word for command in (script.commands if script else []) for word in command.words]
        return []

    def count(self, pointer: str, value: Any, spelling: str) -> Sourced[int] | None:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is None or number <= 0:
            return None
        return Sourced(number, self.file, self.value_range(pointer), spelling)


# --------------------------------------------------------------------------------------------------
# Kubernetes


def _pod_templates(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(pod spec, pointer, role) of every pod template in a workload, found by its ``containers`` list."""
    stack: list[tuple[Any, str, str]] = [(data.get("spec"), "/spec", "")]
    while stack:
        node, pointer, role = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("containers"), list):
                yield node, pointer, role
                continue
            for key, value in node.items():
                child_role = role
                if key in ("leaderTemplate", "headGroupSpec"):
                    child_role = "leader"
                elif key in ("workerTemplate", "workerGroupSpecs", "workerSpec", "worker"):
                    child_role = "worker"
                stack.append((value, join_pointer(pointer, key), child_role))
        elif isinstance(node, list):
            stack.extend((item, join_pointer(pointer, index), role) for index, item in enumerate(node))


def container_gpus(reader: _Reader, container: dict[str, Any], pointer: str) -> Sourced[int] | None:
    resources = container.get("resources")
    if not isinstance(resources, dict):
        return None
    for section in ("limits", "requests"):
        values = resources.get(section)
        if not isinstance(values, dict):
            continue
        for resource in GPU_RESOURCES:
            if resource in values:
                return reader.count(join_pointer(join_pointer(join_pointer(pointer, "resources"), section),
                                                 resource), values[resource], resource)
    return None


def _pod_gpus(reader: _Reader, pod: dict[str, Any], pointer: str) -> int:
    total = 0
    for index, container in enumerate(pod.get("containers") or []):
        if isinstance(container, dict):
            count = container_gpus(reader, container, join_pointer(join_pointer(pointer, "containers"), index))
            total += count.value if count else 0
    return total


def pod_gpu_type(reader: _Reader, pod: dict[str, Any], pointer: str) -> Sourced[str] | None:
    selector = pod.get("nodeSelector")
    if isinstance(selector, dict):
        for label in GPU_LABELS:
            if isinstance(selector.get(label), str):
                where = reader.value_range(join_pointer(join_pointer(pointer, "nodeSelector"), label))
                return Sourced(selector[label], reader.file, where, label)
    terms_pointer = f"{pointer}/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms"
    terms = _dig(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                 "nodeSelectorTerms")
    for term_index, term in enumerate(terms if isinstance(terms, list) else []):
        expressions = term.get("matchExpressions") if isinstance(term, dict) else None
        for index, expression in enumerate(expressions if isinstance(expressions, list) else []):
            if not isinstance(expression, dict) or expression.get("key") not in GPU_LABELS:
                continue
            values = expression.get("values")
            if expression.get("operator") == "In" and isinstance(values, list) and len(values) == 1:
                where = reader.value_range(f"{terms_pointer}/{term_index}/matchExpressions/{index}/values/0")
                return Sourced(str(values[0]), reader.file, where, str(expression["key"]))
    return None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _shm(pod: dict[str, Any], container: dict[str, Any]) -> bool:
    # Names compared as text: a hand-broken manifest may hold a list or mapping where a name belongs.
    volumes, mounts = pod.get("volumes"), container.get("volumeMounts")
    memory_volumes = {
        str(volume.get("name")) for volume in (volumes if isinstance(volumes, list) else [])
        if isinstance(volume, dict) and isinstance(volume.get("emptyDir"), dict)
        and volume["emptyDir"].get("medium") == "Memory"
    }
    return any(
        isinstance(mount, dict) and str(mount.get("mountPath", "")).rstrip("/") == "/dev/shm"
        and str(mount.get("name")) in memory_volumes
        for mount in (mounts if isinstance(mounts, list) else [])
    )


def env_list(reader: _Reader, owner: dict[str, Any], pointer: str, inherited: dict[str, Word],
             key: str = "env") -> dict[str, Word]:
    """A Kubernetes ``env`` list (name/value entries; ``valueFrom`` is unknown) on top of ``inherited``."""
    env = dict(inherited)
    entries = owner.get(key)
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        if "value" in entry and isinstance(entry["value"], (str, int, float)):
            env[entry["name"]] = reader.word(f"{pointer}/{key}/{index}/value", entry["value"], env)
        else:
            env[entry["name"]] = Word("", reader.key_range(f"{pointer}/{key}/{index}/name"), unresolved=True)
    return env


def _env_mapping(reader: _Reader, mapping: Any, pointer: str) -> dict[str, Word]:
    """An environment mapping of scalar values (SkyPilot ``envs``, GitHub Actions ``env``, compose
    ``environment``); ``${{ }}`` expressions become unresolved words like any template."""
    if not isinstance(mapping, dict):
        return {}
    return {str(key): reader.word(join_pointer(pointer, key), value) for key, value in mapping.items()
            if isinstance(value, (str, int, float)) and not isinstance(value, bool)}


def container_plans(reader: _Reader, launch: Launch, container: dict[str, Any], pointer: str, site: Site,
                    inherited_env: dict[str, Word] | None = None) -> list[DeclaredPlan]:
    """Plans of the engine calls one container (or compose service) runs."""
    env = env_list(reader, container, pointer, inherited_env or {})
    # Kubernetes ``command`` replaces the image's ENTRYPOINT and ``args`` its CMD; in compose the same
    # roles are ``entrypoint`` and ``command``.
    entry_key, args_key = ("command", "args") if site.dialect == "kubernetes" else ("entrypoint", "command")
    command, args = container.get(entry_key), container.get(args_key)
    command_pointer, args_pointer = f"{pointer}/{entry_key}", f"{pointer}/{args_key}"
    argv = [*reader.words(command_pointer, command, env), *reader.words(args_pointer, args, env)]
    if not argv:
        return []
    image = container.get("image") if command is None and isinstance(container.get("image"), str) else None
    if image is not None and site.dialect == "compose":
        # Compose interpolates `${VAR:-default}` / `${VAR-default}` from the environment; the default names
        # the image the file is written for.
        image = _COMPOSE_DEFAULT.sub(lambda match: match.group("default"), image)
    known = {name: word.text for name, word in env.items() if not word.unresolved}
    script_of = nested_scripts(reader.lines, known, launch, kubelet=site.dialect == "kubernetes")
    plans = []
    for call in find_calls(argv, script_of, image=image):
        call_site = Site(site.file, site.dialect, {**site.env, **env}, list(site.supply), site.gpu,
                         site.gpus_per_node)
        plan = plan_from_call(call, call_site)
        if plan is not None:
            plans.append(plan)
    return plans


def _config_map_scripts(reader: _Reader, data: dict[str, Any]) -> Launch:
    """Launch scripts kept in a ConfigMap (``data: {start.sh: |...}``) and mounted into a pod."""
    from parlint.linter.launch.fragments import script_at

    launch = Launch()
    entries = data.get("data")
    for key, value in entries.items() if isinstance(entries, dict) else []:
        if not isinstance(value, str) or not (str(key).endswith((".sh", ".bash")) or value.startswith("#!")):
            continue
        script = script_at(reader.lines, reader.document.source_map.value(join_pointer("/data", key)), {},
                           yaml_scalar=True)
        if script is not None:
            launch.extend(launch_from_script(reader.file, reader.lines, script, Site(reader.file, "kubernetes")))
    return launch


MODEL_FORMAT_ENGINES = {"vllm": "vllm"}
"""KServe ``predictor.model.modelFormat.name`` whose serving runtime is the engine's OpenAI server, so
``model.args`` are the engine's arguments (the vLLM ServingRuntime runs
``python -m vllm.entrypoints.openai.api_server`` with the model mounted at ``/mnt/models``)."""


def _kserve_model(reader: _Reader, launch: Launch, data: dict[str, Any]) -> None:
    model = _dig(data, "spec", "predictor", "model")
    format_name = _dig(model, "modelFormat", "name")
    engine = MODEL_FORMAT_ENGINES.get(str(format_name).lower()) if format_name else None
    if engine is None or not isinstance(model, dict):
        return
    pointer = "/spec/predictor/model"
    env = env_list(reader, model, pointer, {})
    args = reader.words(f"{pointer}/args", model.get("args"), env)
    count = container_gpus(reader, model, pointer)
    supply = [GpuSupply(count, "node", f"InferenceService predictor ({count.spelling}: {count.value})")] if count \
        else []
    program = reader.key_range(f"{pointer}/modelFormat")
    plan = plan_from_call(EngineCall(engine, program, args), Site(reader.file, "kubernetes", env, supply))
    if plan is not None:
        storage = model.get("storageUri")
        if plan.model is None and isinstance(storage, str) and storage.startswith("hf://"):
            # KServe's Hugging Face storage initializer downloads ``hf://org/name`` into /mnt/models.
            where = reader.value_range(f"{pointer}/storageUri")
            plan.model = Sourced(storage[len("hf://"):], reader.file,
                                 Range(Position(where.start.line, where.start.column + 5), where.end)
                                 if where.start.line == where.end.line else where, "storageUri")
        launch.plans.append(plan)
        predictor = data["spec"]["predictor"]
        shm = _shm(predictor, model)
        launch.pods.append(PodFacts(plan, "InferenceService predictor", program, shm,
                                    predictor.get("hostIPC") is True))


def _kubernetes(reader: _Reader, data: dict[str, Any]) -> Launch:
    launch = Launch()
    kind = str(data.get("kind", ""))
    if kind == "ConfigMap":
        return _config_map_scripts(reader, data)
    services = _dig(data, "spec", "services")
    if kind == "DynamoGraphDeployment" and isinstance(services, dict):
        from parlint.linter.launch.dynamo import from_graph_deployment

        return from_graph_deployment(reader, services)
    if kind == "LLMInferenceService":
        from parlint.linter.launch.kserve import from_llm_inference_service

        return from_llm_inference_service(reader, data)
    if kind == "InferenceService":
        _kserve_model(reader, launch, data)
    templates = list(_pod_templates(data))
    if not templates:
        return launch
    group_env: dict[str, Word] = {}
    size: Sourced[int] | None = None
    if kind == "LeaderWorkerSet":
        raw_size = _dig(data, "spec", "leaderWorkerTemplate", "size")
        size = reader.count("/spec/leaderWorkerTemplate/size", raw_size if raw_size is not None else 1, "size")
        if size is not None:
            group_env["LWS_GROUP_SIZE"] = Word(str(size.value), size.range)
    roles = {role for _, _, role in templates}
    total = _ray_total(reader, data, templates) if kind in RAY_KINDS else None
    for pod, pointer, role in templates:
        if kind == "LeaderWorkerSet" and role == "worker" and "leader" in roles:
            continue  # the leader starts the engine; workers join it
        host_ipc = pod.get("hostIPC") is True
        gpu = pod_gpu_type(reader, pod, pointer)
        for index, container in enumerate(pod.get("containers") or []):
            if not isinstance(container, dict):
                continue
            container_pointer = f"{pointer}/containers/{index}"
            name = str(container.get("name", index))
            supply = _supply(reader, data, kind, container, container_pointer, templates, size, total, name)
            site = Site(reader.file, "kubernetes", supply=supply, gpu=gpu)
            for plan in container_plans(reader, launch, container, container_pointer, site, group_env):
                launch.plans.append(plan)
                where = reader.key_range(container_pointer + "/name") if "name" in container else plan.range
                launch.pods.append(PodFacts(plan, f"{kind} container `{name}`", where, _shm(pod, container),
                                            host_ipc))
    return launch


def _supply(reader: _Reader, data: dict[str, Any], kind: str, container: dict[str, Any], pointer: str,
            templates: list[tuple[dict[str, Any], str, str]], size: Sourced[int] | None,
            total: Sourced[int] | None, name: str) -> list[GpuSupply]:
    if total is not None:
        return [GpuSupply(total, "total", f"the Ray cluster's {total.value} GPUs (head + workers)")]
    count = container_gpus(reader, container, pointer)
    if count is None:
        return []
    what = f"{kind} container `{name}` ({count.spelling}: {count.value})"
    if kind != "LeaderWorkerSet" or size is None or size.value == 1:
        return [GpuSupply(count, "node", what)]
    per_pod = {role: _pod_gpus(reader, pod, pointer) for pod, pointer, role in templates}
    if len(set(per_pod.values())) <= 1:
        return [GpuSupply(count, "node", f"{what} x {size.value} pods per group", size.value)]
    group = per_pod.get("leader", 0) + per_pod.get("worker", 0) * (size.value - 1)
    return [GpuSupply(Sourced(group, reader.file, count.range, count.spelling), "total",
                      f"the LeaderWorkerSet group (leader + {size.value - 1} workers: {group} GPUs)")]


def _ray_total(reader: _Reader, data: dict[str, Any],
               templates: list[tuple[dict[str, Any], str, str]]) -> Sourced[int] | None:
    """GPUs of the whole Ray cluster: the head pod plus ``replicas`` x each worker group's pod."""
    total = 0
    first: Range | None = None
    for pod, pointer, role in templates:
        gpus = _pod_gpus(reader, pod, pointer)
        replicas = 1
        if role == "worker":
            group_pointer = pointer.rsplit("/template/spec", 1)[0]
            group = _resolve(data, group_pointer)
            raw = group.get("replicas", 1) if isinstance(group, dict) else 1
            replicas = raw if isinstance(raw, int) and not isinstance(raw, bool) else 1
        total += gpus * replicas
        if gpus and first is None:
            first = next(count.range for index, container in enumerate(pod["containers"])
                         if isinstance(container, dict)
                         and (count := container_gpus(reader, container, f"{pointer}/containers/{index}")))
    if not total or first is None:
        return None
    return Sourced(total, reader.file, first, "nvidia.com/gpu")


def _resolve(data: Any, pointer: str) -> Any:
    for token in pointer.strip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(data, list) and token.isdigit() and int(token) < len(data):
            data = data[int(token)]
        elif isinstance(data, dict):
            data = data.get(token)
        else:
            return None
    return data


# --------------------------------------------------------------------------------------------------
# docker-compose


def _compose(reader: _Reader, services: dict[str, Any]) -> Launch:
    launch = Launch()
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        pointer = join_pointer("/services", name)
        env = _compose_environment(reader, service, pointer)
        supply = _compose_devices(reader, service, pointer, str(name))
        site = Site(reader.file, "compose", supply=supply)
        launch.plans.extend(container_plans(reader, launch, service, pointer, site, env))
    return launch


def _compose_environment(reader: _Reader, service: dict[str, Any], pointer: str) -> dict[str, Word]:
    environment = service.get("environment")
    env = _env_mapping(reader, environment, f"{pointer}/environment")
    if isinstance(environment, list):
        for index, item in enumerate(environment):
            if isinstance(item, str) and "=" in item:
                key, _, value = item.partition("=")
                where = reader.value_range(f"{pointer}/environment/{index}")
                start = Position(where.start.line, where.start.column + len(key) + 1)
                inside = where.start.line == where.end.line
                env[key] = Word(value, Range(start, where.end) if inside else where, "$" in value)
    return env


def _compose_devices(reader: _Reader, service: dict[str, Any], pointer: str, name: str) -> list[GpuSupply]:
    devices = _dig(service, "deploy", "resources", "reservations", "devices")
    supply: list[GpuSupply] = []
    for index, device in enumerate(devices if isinstance(devices, list) else []):
        if not isinstance(device, dict):
            continue
        capabilities = device.get("capabilities") or []
        if device.get("driver") not in (None, "nvidia", "amd") and "gpu" not in capabilities:
            continue
        device_pointer = f"{pointer}/deploy/resources/reservations/devices/{index}"
        if isinstance(device.get("device_ids"), list):
            ids = device["device_ids"]
            where = reader.value_range(f"{device_pointer}/device_ids")
            count = Sourced(len(ids), reader.file, where, "device_ids")
            supply.append(GpuSupply(count, "node", f"compose service `{name}` (device_ids: {len(ids)} GPUs)"))
        elif "count" in device:
            counted = reader.count(f"{device_pointer}/count", device["count"], "count")
            if counted is not None:
                supply.append(GpuSupply(counted, "node", f"compose service `{name}` (count: {counted.value})"))
    return supply


# --------------------------------------------------------------------------------------------------
# SkyPilot

_ACCELERATOR = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.\-]+)\s*(?::\s*(?P<count>[0-9]+|\{[0-9,\s]+\}))?\s*$")


def _alternatives(reader: _Reader, value: Any, pointer: str) -> list[tuple[str, int, Range]]:
    """Every (GPU type, count, where) an ``accelerators`` value allows."""
    found: list[tuple[str, int, Range]] = []
    if isinstance(value, str):
        match = _ACCELERATOR.match(value)
        if match:
            counts = match.group("count") or "1"
            for count in counts.strip("{}").split(","):
                if count.strip().isdigit():
                    found.append((match.group("name"), int(count), reader.value_range(pointer)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_alternatives(reader, item, join_pointer(pointer, index)))
    elif isinstance(value, dict):
        for name, count in value.items():
            child = join_pointer(pointer, name)
            if count is None and _ACCELERATOR.match(str(name)):
                # The set form `{H100:8, H200:8}`: without a space after the colon each entry is a key
                # "H100:8" with no value, read like the string form.
                found.extend((type_, number, reader.key_range(child))
                             for type_, number, _ in _alternatives(reader, str(name), child))
            elif count is None:
                found.append((str(name), 1, reader.key_range(child)))
            elif isinstance(count, int) and not isinstance(count, bool):
                found.append((str(name), count, reader.value_range(child)))
    return found


def _skypilot(reader: _Reader, data: dict[str, Any]) -> Launch:
    launch = Launch()
    run = data.get("run")
    if not isinstance(run, str):
        return launch
    resources = data.get("resources")
    alternatives: list[tuple[str, int, Range]] = []
    if isinstance(resources, dict):
        alternatives = _alternatives(reader, resources.get("accelerators"), "/resources/accelerators")
        for group in ("any_of", "ordered"):
            for index, option in enumerate(resources.get(group) or []):
                if isinstance(option, dict):
                    alternatives += _alternatives(reader, option.get("accelerators"),
                                                  f"/resources/{group}/{index}/accelerators")
    raw_nodes = data.get("num_nodes", 1)
    nodes = raw_nodes if isinstance(raw_nodes, int) and not isinstance(raw_nodes, bool) and raw_nodes > 0 else 1
    env = _env_mapping(reader, data.get("envs"), "/envs")
    env["SKYPILOT_NUM_NODES"] = Word(str(nodes), reader.value_range("/num_nodes"))
    from parlint.linter.launch.fragments import script_at

    run_range = reader.document.source_map.value("/run")
    seen_broken = False
    for name, count, where in alternatives or [("", 0, run_range)]:
        site_env = dict(env)
        site = Site(reader.file, "skypilot", site_env)
        if count:
            site_env["SKYPILOT_NUM_GPUS_PER_NODE"] = Word(str(count), where)
            counted = Sourced(count, reader.file, where, "accelerators")
            suffix = f" x {nodes} nodes" if nodes > 1 else ""
            site.supply.append(GpuSupply(counted, "node", f"SkyPilot accelerators {name}:{count}{suffix}", nodes))
            site.gpu = Sourced(name, reader.file, where, "accelerators")
            site.gpus_per_node = counted
        script = script_at(reader.lines, run_range, {key: word.text for key, word in site_env.items()},
                           yaml_scalar=True)
        if script is None:
            continue
        found = launch_from_script(reader.file, reader.lines, script, site)
        launch.plans.extend(found.plans)
        if not seen_broken:
            launch.broken.extend(found.broken)
            seen_broken = True
    return launch


def _github_workflow(reader: _Reader, data: dict[str, Any]) -> Launch:
    """A GitHub Actions workflow: each step's ``run:`` script (CI smoke tests start engines there), with the
    workflow's, the job's and the step's ``env``. Expressions (``${{ matrix.tp }}``) are unknown values."""
    from parlint.linter.launch.fragments import script_at

    launch = Launch()
    workflow_env = _env_mapping(reader, data.get("env"), "/env")
    for job_id, job in data["jobs"].items():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        job_pointer = join_pointer("/jobs", job_id)
        job_env = {**workflow_env, **_env_mapping(reader, job.get("env"), f"{job_pointer}/env")}
        for index, step in enumerate(job["steps"]):
            if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                continue
            pointer = f"{job_pointer}/steps/{index}"
            env = {**job_env, **_env_mapping(reader, step.get("env"), f"{pointer}/env")}
            script = script_at(reader.lines, reader.document.source_map.value(f"{pointer}/run"),
                               {key: word.text for key, word in env.items()}, yaml_scalar=True)
            if script is None:
                continue
            found = launch_from_script(reader.file, reader.lines, script, Site(reader.file, "github-actions", env))
            launch.plans.extend(found.plans)
            launch.broken.extend(found.broken)
    return launch

