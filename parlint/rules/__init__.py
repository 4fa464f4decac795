"""The rule registry: one module per hard constraint, plus third-party packs.

A rule module defines ``CODE``, ``NAME`` (kebab-case), ``SECTION`` (the seed section it enforces,
``-`` for file-level checks), ``SEVERITY``, ``FIXABLE`` and ``check(ctx)``, and documents itself in
its docstring with What / Why / Example / Fix. Third-party packs register modules of the same shape
under the entry-point group ``parlint.rules``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

from parlint.linter.diagnostics import Diagnostic, Finding, Severity

if TYPE_CHECKING:
    from parlint.linter.context import LintContext

META_CODES = frozenset({"PL000", "PL003"})
"""Rules the runner drives itself: PL000 after a crash, PL003 after suppressions were applied."""

_CODE = re.compile(r"^[A-Z]{1,4}[0-9]{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RuleError(Exception):
    """A rule module that does not follow the rule contract (bad metadata, code collision)."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    section: str
    severity: Severity
    fixable: bool
    doc: str
    check: Callable[[LintContext], Iterable[Finding]]

    @property
    def summary(self) -> str:
        """The docstring's first paragraph on one line."""
        paragraph = self.doc.strip().split("\n\n", 1)[0]
        return " ".join(paragraph.split()) or self.name

    def diagnostic(self, found: Finding) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=found.severity or self.severity,
            message=found.message,
            file=found.file,
            range=found.range,
            section=self.section,
            related=list(found.related),
            fix=found.fix,
            suggestion=found.suggestion,
        )


def rule_from_module(module: ModuleType) -> Rule:
    try:
        code, name, section = module.CODE, module.NAME, module.SECTION
        severity = Severity(module.SEVERITY)
        check = module.check
    except (AttributeError, ValueError) as error:
        raise RuleError(f"rule module {module.__name__} lacks rule metadata: {error}") from error
    if not _CODE.match(code) or not _NAME.match(name):
        raise RuleError(f"rule module {module.__name__}: bad code {code!r} or name {name!r}")
    doc = module.__doc__ or ""
    return Rule(code, name, section, severity, bool(getattr(module, "FIXABLE", False)), doc, check)


def builtin_module_names() -> list[str]:
    """Every public module of this package is a rule: adding a rule is adding a file."""
    import pkgutil

    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def _some_distribution_declares_packs() -> bool:
    """Whether any installed distribution's ``entry_points.txt`` names the group ``parlint.rules``.

    A plain directory scan: ``importlib.metadata`` costs about 10 ms to import (it pulls in the email
    package), paid by every pre-commit run although almost no environment has a rule pack.
    """
    for directory in sys.path:
        try:
            names = os.listdir(directory or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(directory or ".", name, "entry_points.txt"), encoding="utf-8") as stream:
                        if "[parlint.rules]" in stream.read():
                            return True
                except OSError:
                    continue
    return False


def _third_party_modules() -> Iterator[ModuleType]:
    if not _some_distribution_declares_packs():
        return
    from importlib.metadata import entry_points

    for entry in entry_points(group="parlint.rules"):
        loaded = entry.load()
        if isinstance(loaded, ModuleType):
            yield loaded
        else:
            raise RuleError(f"entry point {entry.name!r} in group parlint.rules must name a rule module")


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by code. Two rules with one code is an error, not a silent override."""
    modules = [importlib.import_module(f"parlint.rules.{name}") for name in builtin_module_names()]
    modules.extend(_third_party_modules())
    rules: dict[str, Rule] = {}
    for module in modules:
        rule = rule_from_module(module)
        if rule.code in rules:
            raise RuleError(f"rule code {rule.code} is registered twice ({rules[rule.code].name}, {rule.name})")
        rules[rule.code] = rule
    return tuple(sorted(rules.values(), key=lambda rule: rule.code))


def rule_by_code(code: str) -> Rule | None:
    wanted = code.upper()
    return next((rule for rule in all_rules() if rule.code == wanted), None)
