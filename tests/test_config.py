"""Configuration: discovery (nearest wins), validation with positions, selection and ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from parlint.linter.config import ConfigError, Overrides, Settings, SettingsFinder, load_settings
from parlint.linter.diagnostics import Severity


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_configuration_wins(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '[tool.parlint]\nignore = ["PL2"]\nobjective = "latency"\n')
    _write(tmp_path / "deploy" / ".parlint.yaml", "select: [PL101]\nhardware: {gpu: H100-80GB, gpus_per_node: 8}\n")
    _write(tmp_path / "other" / "pyproject.toml", "[project]\nname = 'x'\n")
    finder = SettingsFinder(Overrides())
    nested = finder.for_path(str(tmp_path / "deploy" / "serve.yaml"))
    assert nested.select == ("PL101",) and nested.gpu == "H100-80GB" and nested.gpus_per_node == 8
    top = finder.for_path(str(tmp_path / "other" / "serve.yaml"))
    assert top.ignore == ("PL2",) and top.objective == "latency"


def test_explicit_config_and_command_line_overrides(tmp_path: Path) -> None:
    config = _write(tmp_path / "ci.yaml", "ignore: [PL301]\nseverity: {PL202: warning}\n")
    finder = SettingsFinder(Overrides(select=("PL2",), ignore=("PL203",), gpus_per_node=4), str(config))
    settings = finder.for_path(str(tmp_path / "a" / "b.yaml"))
    assert settings.select == ("PL2",)
    assert settings.ignore == ("PL301", "PL203")
    assert settings.severity == {"PL202": Severity.WARNING}
    assert settings.gpus_per_node == 4


def test_invalid_yaml_config_names_the_position(tmp_path: Path) -> None:
    config = _write(tmp_path / ".parlint.yaml", "select: [PL101]\nhardware:\n  gpus_per_node: eight\n")
    expected = r"\.parlint\.yaml:3:3: invalid parlint configuration at hardware/gpus_per_node"
    with pytest.raises(ConfigError, match=expected):
        load_settings(config)


def test_invalid_toml_config_names_the_line(tmp_path: Path) -> None:
    config = _write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.parlint]\nobjective = "speed"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml:5:1: .*objective"):
        load_settings(config)


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    config = _write(tmp_path / ".parlint.yaml", "selct: [PL101]\n")
    with pytest.raises(ConfigError, match="Additional properties"):
        load_settings(config)


def test_broken_yaml_config(tmp_path: Path) -> None:
    config = _write(tmp_path / ".parlint.yaml", "select: [PL101\n")
    with pytest.raises(ConfigError, match=r"\.parlint\.yaml:2:1: YAML syntax error"):
        load_settings(config)


def test_selection_prefixes_names_and_per_file_ignores(tmp_path: Path) -> None:
    settings = Settings(
        select=("PL2", "gpu-count"),
        ignore=("PL203",),
        per_file_ignores={"examples/*.yaml": ("PL202",)},
        root=str(tmp_path),
    )
    assert settings.enabled("PL202", "tensor-parallel-scope", str(tmp_path / "serve.yaml"))
    assert settings.enabled("PL101", "gpu-count", str(tmp_path / "serve.yaml"))
    assert not settings.enabled("PL203", "pipeline-parallel-scope", str(tmp_path / "serve.yaml"))
    assert not settings.enabled("PL301", "moe-expert-parallel", str(tmp_path / "serve.yaml"))
    assert not settings.enabled("PL202", "tensor-parallel-scope", str(tmp_path / "examples" / "x.yaml"))


def test_exclude_matches_paths_and_directory_names(tmp_path: Path) -> None:
    settings = Settings(exclude=("vendor", "charts/*/templates/*"), root=str(tmp_path))
    assert settings.excluded(str(tmp_path / "vendor" / "a.yaml"))
    assert settings.excluded(str(tmp_path / "charts" / "x" / "templates" / "d.yaml"))
    assert not settings.excluded(str(tmp_path / "serve.yaml"))


def test_models_are_relative_to_the_configuration(tmp_path: Path) -> None:
    config = _write(tmp_path / ".parlint.yaml", "models:\n  org/private-70b: models/private/config.json\n")
    settings = load_settings(config)
    assert settings is not None
    assert settings.models["org/private-70b"] == str(tmp_path.resolve() / "models/private/config.json")
