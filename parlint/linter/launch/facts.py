"""What the launch extractors hand to the runner and the rules: plans plus file-level launch facts.

Rules never parse files, so the facts a launch file carries beyond its engine plans (a shell line
continuation that drops flags, whether a pod enlarges ``/dev/shm``) travel here as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parlint.linter.diagnostics import Range
from parlint.linter.plan import DeclaredPlan
from parlint.linter.shell import BrokenContinuation


@dataclass(frozen=True)
class PodFacts:
    """A Kubernetes pod (or a pod a chart renders) that runs ``plan``.

    ``shm`` is true when the engine container mounts a memory-backed ``emptyDir`` at ``/dev/shm``;
    ``host_ipc`` when the pod shares the host's IPC namespace (and so its ``/dev/shm``).
    """

    plan: DeclaredPlan
    what: str
    range: Range
    shm: bool
    host_ipc: bool


@dataclass
class Launch:
    """Everything the launch extractors found in one file."""

    plans: list[DeclaredPlan] = field(default_factory=list)
    broken: list[BrokenContinuation] = field(default_factory=list)
    pods: list[PodFacts] = field(default_factory=list)

    def extend(self, other: Launch) -> None:
        self.plans.extend(other.plans)
        self.broken.extend(other.broken)
        self.pods.extend(other.pods)
