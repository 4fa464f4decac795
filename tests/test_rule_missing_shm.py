"""PL904: a pod running TP or PP > 1 needs a memory-backed /dev/shm or hostIPC."""

from __future__ import annotations

from parlint.linter.context import LintContext
from parlint.linter.diagnostics import Position
from parlint.linter.launch import extract_documents
from parlint.linter.loader import load_text
from parlint.rules import missing_shm

POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: llama}}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.0
          args: ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "{tp}"]
          resources: {{limits: {{nvidia.com/gpu: {tp}}}}}
{extra}"""

SHM = """\
          volumeMounts: [{name: dshm, mountPath: /dev/shm}]
      volumes:
        - name: dshm
          emptyDir: {medium: Memory, sizeLimit: 16Gi}
"""


def _findings(text: str) -> list[tuple[Position, str]]:
    loaded = load_text("deploy.yaml", text)
    ctx = LintContext("deploy.yaml", launch=extract_documents(loaded))
    return [(item.range.start, item.message) for item in missing_shm.check(ctx)]


def test_tp_without_shm_points_at_the_degree() -> None:
    ((where, message),) = _findings(POD.format(tp=4, extra=""))
    assert where == Position(10, 93)
    assert "Deployment container `vllm` runs TP 4" in message


def test_memory_backed_shm_or_host_ipc_is_clean() -> None:
    assert _findings(POD.format(tp=4, extra=SHM)) == []
    assert _findings(POD.format(tp=4, extra="      hostIPC: true\n")) == []


def test_a_disk_backed_emptydir_is_not_enough() -> None:
    disk = SHM.replace("{medium: Memory, sizeLimit: 16Gi}", "{}")
    assert len(_findings(POD.format(tp=2, extra=disk))) == 1


def test_single_gpu_needs_nothing() -> None:
    assert _findings(POD.format(tp=1, extra="")) == []
