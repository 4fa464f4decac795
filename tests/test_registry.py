"""The rule registry: metadata contract, code collisions, third-party packs through entry points."""

from __future__ import annotations

import types

import pytest

import parlint.rules as registry
from parlint.rules import RuleError, all_rules, rule_from_module


def _module(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__doc__ = "A rule.\n\nWhat: x.\n"
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def _check(ctx: object) -> list[object]:
    return []


def test_every_builtin_rule_is_documented_and_well_formed() -> None:
    rules = all_rules()
    assert [rule.code for rule in rules] == sorted(rule.code for rule in rules)
    for rule in rules:
        for section in ("What", "Why", "Example", "Fix"):
            assert f"{section}" in rule.doc, f"{rule.code} docstring lacks {section}"


def test_metadata_is_validated() -> None:
    with pytest.raises(RuleError, match="lacks rule metadata"):
        rule_from_module(_module("bad", CODE="PL999", NAME="x", SEVERITY="error", check=_check))
    with pytest.raises(RuleError, match="bad code"):
        rule_from_module(_module("bad", CODE="999", NAME="x", SECTION="-", SEVERITY="error", check=_check))
    with pytest.raises(RuleError, match="lacks rule metadata"):
        rule_from_module(_module("bad", CODE="PL998", NAME="x", SECTION="-", SEVERITY="fatal", check=_check))


def test_third_party_pack_and_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = _module("acme_rules.gpu", CODE="AC101", NAME="acme-check", SECTION="-", SEVERITY="warning", check=_check)
    monkeypatch.setattr(registry, "_third_party_modules", lambda: iter([extra]))
    registry.all_rules.cache_clear()
    try:
        assert registry.rule_by_code("ac101") is not None
        clash = _module("acme_rules.clash", CODE="PL202", NAME="clash", SECTION="-", SEVERITY="error", check=_check)
        monkeypatch.setattr(registry, "_third_party_modules", lambda: iter([clash]))
        registry.all_rules.cache_clear()
        with pytest.raises(RuleError, match="registered twice"):
            registry.all_rules()
    finally:
        monkeypatch.undo()
        registry.all_rules.cache_clear()


CATALOG = {
    # code: (name, seed section, default severity) — the public interface fixed by the rule-set issue.
    "PL001": ("invalid-file", "-", "error"),
    "PL002": ("model-unresolved", "-", "info"),
    "PL101": ("gpu-count", "1, 8, 7", "error"),
    "PL201": ("data-parallel-scope", "2.1, 7", "error"),
    "PL202": ("tensor-parallel-scope", "2.2, 7", "error"),
    "PL203": ("pipeline-parallel-scope", "2.3, 7", "error"),
    "PL204": ("expert-parallel-scope", "2.4", "error"),
    "PL205": ("sequence-parallel-scope", "2.5", "error"),
    "PL301": ("moe-expert-parallel", "3", "error"),
    "PL401": ("tp-ep-not-multiplied", "4, 7", "error"),
    "PL501": ("pipeline-outer-structure", "5", "error"),
    "PL601": ("reasoning-order", "6", "error"),
    "PL701": ("memory-fit", "6", "error"),
    "PL901": ("unknown-key", "-", "warning"),
    "PL902": ("broken-continuation", "-", "error"),
    "PL903": ("deprecated-key", "-", "warning"),
    "PL904": ("missing-shm", "-", "warning"),
}


def test_the_public_catalog_is_exact() -> None:
    registered = {rule.code: (rule.name, rule.section, rule.severity.value) for rule in all_rules()}
    assert {code: registered.get(code) for code in CATALOG} == CATALOG


def test_rule_packs_are_found_by_their_entry_point_group(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    site = Path(str(tmp_path))
    (site / "acme_rules-1.0.dist-info").mkdir()
    (site / "other-2.0.dist-info").mkdir()
    (site / "other-2.0.dist-info" / "entry_points.txt").write_text("[console_scripts]\nother = other:main\n")
    monkeypatch.setattr("sys.path", [str(site)])
    assert not registry._some_distribution_declares_packs()
    (site / "acme_rules-1.0.dist-info" / "entry_points.txt").write_text("[parlint.rules]\nacme = acme_rules.gpu\n")
    assert registry._some_distribution_declares_packs()
