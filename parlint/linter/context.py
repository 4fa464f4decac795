"""What a rule sees for one file: the load problems and each deployment with its resolved facts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from parlint.linter.diagnostics import Finding, Fix, LoadProblem, Range, Related, Severity, Suggestion
from parlint.linter.launch.facts import Launch
from parlint.linter.mapping import Deployment
from parlint.linter.models.hardware import GpuSpec
from parlint.linter.models.structure import ModelStructure
from parlint.linter.plan import DeclaredPlan, Sourced
from parlint.linter.suppressions import Suppression


@dataclass
class DeploymentFacts:
    """A deployment plus where its model structure came from (empty ``model_source``: unresolved), the
    GPU type (from the file, else the configuration or ``--gpu``; None when unknown) and the objective."""

    deployment: Deployment
    model_source: str = ""
    model_message: str = ""
    objective: str | None = None
    gpu: GpuSpec | None = None

    @property
    def plan(self) -> DeclaredPlan:
        return self.deployment.plan

    @property
    def model(self) -> ModelStructure | None:
        return self.deployment.model


@dataclass
class LintContext:
    file: str
    load_problems: list[LoadProblem] = field(default_factory=list)
    deployments: list[DeploymentFacts] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    unused_suppressions: list[tuple[Suppression, str]] = field(default_factory=list)
    launch: Launch = field(default_factory=Launch)  # broken continuations and pod facts of launch files
    text: str = ""  # the linted text, for fixes that edit around a position (e.g. a broken continuation)


def finding(
    at: Sourced[Any] | tuple[str, Range],
    message: str,
    *,
    related: Iterable[tuple[Sourced[Any], str]] = (),
    fix: Fix | None = None,
    suggestion: Suggestion | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding at a sourced value (or an explicit file and range); ``related`` names the other values."""
    file, where = at if isinstance(at, tuple) else (at.file, at.range)
    notes = tuple(Related(item.file, item.range, text) for item, text in related)
    return Finding(file, where, message, notes, fix, suggestion, severity)


def related_values(plan: DeclaredPlan, *names: str, skip_ones: bool = False) -> list[tuple[Sourced[Any], str]]:
    """The model field and the named settings the file writes, as ``related`` entries for a finding
    (``skip_ones``: leave out degrees written as 1, which take no part in a GPU count)."""
    related: list[tuple[Sourced[Any], str]] = [(plan.model, f"model {plan.model.value}")] if plan.model else []
    related += [(source, f"{source.spelling or name} {source.value}")
                for name in names
                if (source := plan.source(name)) is not None and not (skip_ones and source.value == 1)]
    return related
