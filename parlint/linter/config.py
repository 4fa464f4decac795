"""parlint configuration: ``[tool.parlint]`` in ``pyproject.toml`` or a ``.parlint.yaml``.

The configuration nearest to a linted file wins (searched upward from the file's directory; a
``pyproject.toml`` without ``[tool.parlint]`` is skipped); ``--config FILE`` overrides discovery.
Every configuration is validated against ``parlint/schemas/config.schema.json``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from parlint.linter.diagnostics import Severity

CONFIG_NAMES = (".parlint.yaml", ".parlint.yml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and position."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    models: dict[str, str] = field(default_factory=dict)
    gpu: str | None = None
    gpus_per_node: int | None = None
    nodes: int | None = None
    objective: str | None = None
    root: str = "."
    source: str = ""

    def enabled(self, code: str, name: str, path: str) -> bool:
        def hit(selectors: tuple[str, ...]) -> bool:
            return any(code.startswith(item.upper()) or name == item for item in selectors)

        if self.select and not hit(self.select):
            return False
        if hit(self.ignore):
            return False
        if not self.per_file_ignores:
            return True
        relative = self.relative(path)
        return not any(fnmatch.fnmatch(relative, glob) and hit(codes) for glob, codes in self.per_file_ignores.items())

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        relative = self.relative(path)
        parts = relative.split("/")
        return any(
            fnmatch.fnmatch(relative, glob) or any(fnmatch.fnmatch(part, glob) for part in parts)
            for glob in self.exclude
        )

    def relative(self, path: str) -> str:
        """``path`` relative to the configuration's directory, with ``/`` separators (for globs)."""
        absolute, root = os.path.abspath(path), os.path.abspath(self.root)
        if os.path.commonpath([absolute, root]) != root:
            return Path(path).as_posix()
        return Path(os.path.relpath(absolute, root)).as_posix()


@dataclass(frozen=True)
class Overrides:
    """Command-line settings: they beat every configuration file."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    gpu: str | None = None
    gpus_per_node: int | None = None
    objective: str | None = None

    def apply(self, settings: Settings) -> Settings:
        return replace(
            settings,
            select=self.select if self.select is not None else settings.select,
            ignore=settings.ignore + self.ignore,
            gpu=self.gpu or settings.gpu,
            gpus_per_node=self.gpus_per_node or settings.gpus_per_node,
            objective=self.objective or settings.objective,
        )


def _read_toml(path: Path) -> dict[str, Any] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    table = document.get("tool", {}).get("parlint") if isinstance(document.get("tool"), dict) else None
    return table if isinstance(table, dict) else None


def _toml_key_line(path: Path, key: str) -> int:
    """Line of ``key`` inside ``[tool.parlint]`` (TOML parsers keep no positions)."""
    inside = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.startswith("[tool.parlint")
            if inside and key and stripped.strip("[]").endswith("." + key):
                return number
        elif inside and key and stripped.split("=", 1)[0].strip().strip('"') == key:
            return number
    return 1


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("parlint.schemas").joinpath("config.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _position(path: Path, pointer: list[str | int], yaml_map: Any) -> str:
    if yaml_map is not None:
        from parlint.linter.loader import join_pointer

        joined = ""
        for token in pointer:
            joined = join_pointer(joined, token)
        where = yaml_map.key(joined) if joined else yaml_map.value("")
        return f"{path}:{where.start.line}:{where.start.column}"
    top = str(pointer[0]) if pointer else ""
    return f"{path}:{_toml_key_line(path, top)}:1"


def _validate(path: Path, table: dict[str, Any], yaml_map: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(table), key=lambda error: list(error.absolute_path))
    if errors:
        error = errors[0]
        where = _position(path, list(error.absolute_path), yaml_map)
        location = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ConfigError(f"{where}: invalid parlint configuration at {location}: {error.message}")


def _read_yaml(path: Path) -> tuple[dict[str, Any], Any]:
    from parlint.linter.loader import load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from error
    loaded = load_yaml(str(path), text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise ConfigError(f"{path}:{problem.range.start.line}:{problem.range.start.column}: {problem.message}")
    if not loaded.documents or loaded.documents[0].data is None:
        return {}, None
    document = loaded.documents[0]
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}:1:1: the parlint configuration must be a mapping")
    return document.data, document.source_map


def load_settings(path: str | Path) -> Settings | None:
    """Read one configuration file. None for a ``pyproject.toml`` without ``[tool.parlint]``."""
    config = Path(path)
    if config.suffix == ".toml":
        table = _read_toml(config)
        if table is None:
            if config.name == "pyproject.toml":
                return None
            table = {}
        yaml_map = None
    else:
        table, yaml_map = _read_yaml(config)
    _validate(config, table, yaml_map)
    root = config.resolve().parent
    hardware = table.get("hardware", {})
    return Settings(
        select=tuple(table.get("select", ())),
        ignore=tuple(table.get("ignore", ())),
        severity={code: Severity(level) for code, level in table.get("severity", {}).items()},
        per_file_ignores={glob: tuple(codes) for glob, codes in table.get("per-file-ignores", {}).items()},
        exclude=tuple(table.get("exclude", ())),
        models={model: str(root / target) for model, target in table.get("models", {}).items()},
        gpu=hardware.get("gpu"),
        gpus_per_node=hardware.get("gpus_per_node"),
        nodes=hardware.get("nodes"),
        objective=table.get("objective"),
        root=str(root),
        source=str(config),
    )


class SettingsFinder:
    """Nearest configuration per directory, cached for the run."""

    def __init__(self, overrides: Overrides, explicit: str | None = None) -> None:
        self._overrides = overrides
        self._explicit = overrides.apply(load_settings(explicit) or Settings(root=os.getcwd())) if explicit else None
        self._by_directory: dict[str, Settings] = {}  # absolute directory -> its nearest configuration
        self._by_name: dict[str, Settings] = {}  # the directory as given: most files share a few

    def for_path(self, path: str) -> Settings:
        if self._explicit is not None:
            return self._explicit
        directory = os.path.dirname(path)
        found = self._by_name.get(directory)
        if found is None:
            found = self._by_name[directory] = self._for_directory(os.path.abspath(directory or "."))
        return found

    def _for_directory(self, directory: str) -> Settings:
        # Plain strings: this runs for every directory of a repository, and pathlib objects doubled its cost.
        cached = self._by_directory.get(directory)
        if cached is not None:
            return cached
        settings: Settings | None = None
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                settings = load_settings(candidate)
                if settings is not None:
                    settings = self._overrides.apply(settings)
                    break
        if settings is None:
            parent = os.path.dirname(directory)
            if parent != directory:
                settings = self._for_directory(parent)
            else:
                settings = self._overrides.apply(Settings(root=os.getcwd()))
        self._by_directory[directory] = settings
        return settings
