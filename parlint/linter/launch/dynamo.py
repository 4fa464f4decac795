"""NVIDIA Dynamo ``DynamoGraphDeployment`` (``nvidia.com/v1alpha1``).

Each ``spec.services.<name>`` runs its ``extraPodSpec.mainContainer`` (a Kubernetes container: ``command`` and
``args``, e.g. ``python3 -m dynamo.vllm --model ... --tensor-parallel-size 2``) on ``multinode.nodeCount`` pods
(one without ``multinode``), each with ``resources.limits.gpu`` GPUs, a string: "Total number of GPUs is
NumberOfNodes * GPU in case of multinode deployment" (``deploy/cloud/operator/api/v1alpha1/common.go`` in
ai-dynamo/dynamo). For multinode services the operator adds ``--nnodes``, the node ranks and the local DP size
itself (``backend_vllm.go``, ``backend_sglang.go``), so the written command lacks them by design. The
``nvidia.com/v1beta1`` shape keeps its containers in ``podTemplate.spec`` and is read as any pod template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parlint.linter.launch.build import Site
from parlint.linter.launch.facts import Launch
from parlint.linter.loader import join_pointer
from parlint.linter.plan import GpuSupply, Sourced

if TYPE_CHECKING:
    from parlint.linter.launch.manifests import _Reader


def from_graph_deployment(reader: _Reader, services: dict[str, Any]) -> Launch:
    from parlint.linter.launch.manifests import container_plans, env_list

    launch = Launch()
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        pointer = join_pointer("/spec/services", name)
        pod = service.get("extraPodSpec")
        container = pod.get("mainContainer") if isinstance(pod, dict) else None
        if not isinstance(container, dict):
            continue
        site = Site(reader.file, "kubernetes", supply=_supply(reader, service, pointer, str(name)))
        env = env_list(reader, service, pointer, {}, key="envs")
        launch.plans.extend(container_plans(reader, launch, container, f"{pointer}/extraPodSpec/mainContainer",
                                            site, env))
    return launch


def _supply(reader: _Reader, service: dict[str, Any], pointer: str, name: str) -> list[GpuSupply]:
    resources = service.get("resources")
    count: Sourced[int] | None = None
    for section in ("limits", "requests"):  # the vLLM operator reads the limit (backend_vllm.go)
        values = resources.get(section) if isinstance(resources, dict) else None
        if isinstance(values, dict) and "gpu" in values:
            count = reader.count(f"{pointer}/resources/{section}/gpu", values["gpu"], "gpu")
            break
    if count is None:
        return []
    multinode = service.get("multinode")
    raw_nodes = multinode.get("nodeCount") if isinstance(multinode, dict) else None
    nodes = raw_nodes if isinstance(raw_nodes, int) and not isinstance(raw_nodes, bool) and raw_nodes > 1 else 1
    spread = f" x {nodes} nodes" if nodes > 1 else ""
    return [GpuSupply(count, "node", f"Dynamo service `{name}` (gpu: {count.value}{spread})", nodes)]

