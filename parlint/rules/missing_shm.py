"""A Kubernetes pod that runs TP or PP > 1 needs an enlarged ``/dev/shm`` (or the host's IPC namespace).

What: warns when a pod (a Kubernetes workload, or the pod the vLLM production-stack chart renders)
starts an engine with tensor or pipeline parallel size above 1 while its engine container mounts no
memory-backed ``emptyDir`` at ``/dev/shm`` and the pod does not set ``hostIPC: true``.

Why: the GPU workers of one engine exchange data through NCCL and the engine's shared-memory
broadcast queues, which live in ``/dev/shm``; a container gets 64 MiB there by default, so a TP or PP
group fails or hangs at start-up with NCCL shared-memory errors (vllm-project/vllm#1710,
vllm-project/production-stack#276 and #899, sgl-project/sgl-project.github.io#5). The
production-stack chart mounts ``/dev/shm`` only when ``vllmConfig.tensorParallelSize`` is set, so TP
passed through ``vllmConfig.extraArgs`` gets none (``real-world-mistakes.md`` §5, MISSING_SHM).

Example (bad)::

    containers:
      - name: vllm
        args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4"]

Example (good)::

    containers:
      - name: vllm
        args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4"]
        volumeMounts: [{name: dshm, mountPath: /dev/shm}]
    volumes:
      - name: dshm
        emptyDir: {medium: Memory, sizeLimit: 16Gi}

A vLLM front-end pod with ``--data-parallel-size-local 0`` (API server only, engines ``--headless``
elsewhere) runs no GPU workers and is not checked.

Fix: add a ``medium: Memory`` ``emptyDir`` volume mounted at ``/dev/shm`` (in production-stack values,
set ``vllmConfig.tensorParallelSize`` instead of passing TP in ``extraArgs``).
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Finding
from parlint.linter.plan import Sourced

CODE = "PL904"
NAME = "missing-shm"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for pod in ctx.launch.pods:
        # A vLLM front-end with data-parallel-size-local 0 runs only the API server: no GPU workers, no NCCL.
        if pod.shm or pod.host_ipc or pod.plan.get("dp_local") == 0:
            continue
        degrees = [(name, source) for name in ("tp", "pp")
                   if (source := pod.plan.source(name)) is not None and isinstance(source.value, int)
                   and source.value > 1]
        if not degrees:
            continue
        source = degrees[0][1]
        spelled = " and ".join(f"{'TP' if key == 'tp' else 'PP'} {value.value}" for key, value in degrees)
        yield finding(
            source,
            f"{pod.what} runs {spelled} without an enlarged /dev/shm: mount a `medium: Memory` emptyDir at "
            "/dev/shm (or set hostIPC: true), otherwise NCCL and the engine's shared-memory queues fail in "
            "the container's 64 MiB default",
            related=[(Sourced(pod.what, pod.plan.file, pod.range), f"{pod.what} mounts no memory-backed /dev/shm")],
        )
