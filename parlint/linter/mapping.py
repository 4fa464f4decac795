"""The structural mapping: replicas, stages, GPU sets and phases derived from a declared plan.

See ``shared/design/structural-model.md``. Every phase of a stage runs on the same GPU set:
``attn_dp x attn_tp x cp = |G_s|`` in attention and ``ep x expert_tp = |G_s|`` in the MoE layers, and
``gpus_total = replicas x sum(|G_s|)``. Degrees that live inside a phase add no GPUs of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced


@dataclass(frozen=True)
class Rejection:
    """Why the engine would refuse to build this deployment, with the values involved.

    ``kind`` is a stable identifier (e.g. ``"sglang-dp-with-attn-dp"``) that a rule selects on;
    ``message`` quotes or paraphrases the engine's own error.
    """

    kind: str
    message: str
    sources: tuple[Sourced[Any], ...] = ()


@dataclass(frozen=True)
class MoePhase:
    ep: int
    expert_tp: int
    experts_per_gpu: tuple[int, int]  # (fewest, most): uneven splits differ by one
    redundant_experts: int = 0

    def to_json(self) -> dict[str, Any]:
        low, high = self.experts_per_gpu
        return {
            "ep": self.ep,
            "tp": self.expert_tp,
            "experts_per_gpu": low if low == high else [low, high],
            "redundant_experts": self.redundant_experts,
        }


@dataclass(frozen=True)
class Stage:
    index: int
    layers: tuple[int, int]  # [first, last_exclusive)
    gpus: tuple[int, ...]
    attn_tp: int
    attn_dp: int = 1
    cp: int = 1
    dcp: int = 1
    ffn_tp: int = 1
    moe: MoePhase | None = None

    @property
    def size(self) -> int:
        return len(self.gpus)

    @property
    def num_layers(self) -> int:
        return self.layers[1] - self.layers[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "layers": list(self.layers),
            "gpus": list(self.gpus),
            "attention": {"tp": self.attn_tp, "dp": self.attn_dp, "cp": self.cp, "dcp": self.dcp},
            "ffn": {"tp": self.ffn_tp},
            "moe": self.moe.to_json() if self.moe else None,
        }


@dataclass
class Deployment:
    """One deployment as the engine would build it. ``stages`` describe one replica."""

    plan: DeclaredPlan
    model: ModelStructure | None
    replicas: int
    stages: list[Stage] = field(default_factory=list)
    gpus_per_node: int | None = None
    rejections: list[Rejection] = field(default_factory=list)
    degree_product: int = 0  # the mechanical DP x TP x PP x EP x CP product, for PL101's message

    @property
    def gpus_per_replica(self) -> int:
        return sum(stage.size for stage in self.stages)

    @property
    def gpus_total(self) -> int:
        return self.replicas * self.gpus_per_replica

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "engine": plan.engine,
            "model": plan.model.value if plan.model else None,
            "source": {"file": plan.file, "range": plan.range.to_json()},
            "gpus_total": self.gpus_total,
            "gpus_per_replica": self.gpus_per_replica,
            "replicas": self.replicas,
            "stages": [stage.to_json() for stage in self.stages],
            "rejections": [{"kind": item.kind, "message": item.message} for item in self.rejections],
        }
