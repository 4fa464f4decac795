"""Find a model's structure offline: explicit config, local path, Hugging Face cache, built-in catalog.

Order (issue 3, "Resolution, all offline"):

1. ``--model-config PATH`` or the ``models`` mapping of parlint's configuration (id -> config.json or dir);
2. a local directory or file named by the reference (relative to the config file's directory, then cwd);
3. the Hugging Face cache: ``HF_HUB_CACHE``, else ``HF_HOME/hub``, else ``~/.cache/huggingface/hub``, layout
   ``models--ORG--NAME/snapshots/REV/config.json`` (the revision ``refs/main`` names, else the newest);
4. the built-in catalog.

Results are cached per process. Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from parlint.linter.models.catalog import lookup
from parlint.linter.models.structure import ModelStructure

CONFIG_NAMES = ("config.json", "params.json")
MODELOPT_CONFIG = "hf_quant_config.json"


@dataclass(frozen=True)
class Resolution:
    structure: ModelStructure | None
    source: str = ""  # "catalog", "hf-cache:/path", "local:/path", "config:/path"; "" when unresolved
    message: str = ""  # why it failed / how to provide the structure, or a note on partial reads
    missing: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.structure is not None


def resolve_model(
    ref: str,
    *,
    config_dir: str | None = None,
    models_map: dict[str, str] | None = None,
    model_config: str | None = None,
) -> Resolution:
    """Resolve a model id or path to its canonical structure (see the module docstring for the order)."""
    mapped = tuple(sorted((models_map or {}).items()))
    return _resolve(ref.strip() if isinstance(ref, str) else "", config_dir, mapped, model_config)


def _expanded(path: Path) -> Path:
    """``~`` and ``~user`` expanded; kept as written when there is no such user (``~ [x]`` names no home)."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path


def resolves_from_files(
    ref: str,
    *,
    config_dir: str | None = None,
    models_map: dict[str, str] | None = None,
    model_config: str | None = None,
) -> bool:
    """Whether a source before the catalog (explicit config, ``models`` map, local path, Hugging Face cache)
    answers for ``ref`` now. The result cache asks this to re-validate a catalog resolution without loading
    the catalog: the catalog itself is package data, covered by the cache's code fingerprint."""
    mapped = tuple(sorted((models_map or {}).items()))
    return _from_files(ref.strip() if isinstance(ref, str) else "", config_dir, mapped, model_config) is not None


# Keyed by model and config directory: a repo of thousands of directories must not evict per file.
@lru_cache(maxsize=16384)
def _resolve(
    ref: str, config_dir: str | None, models_map: tuple[tuple[str, str], ...], model_config: str | None
) -> Resolution:
    found = _from_files(ref, config_dir, models_map, model_config)
    if found is not None:
        return found
    if not ref:
        return Resolution(None, message="no model named; " + _how_to_provide(ref))
    hit = lookup(ref)
    if hit is not None:
        return Resolution(hit.structure, "catalog")
    return Resolution(None, message=f"model '{ref}' is not in the built-in catalog, the Hugging Face cache "
                                    f"or a local path; " + _how_to_provide(ref))


@lru_cache(maxsize=16384)
def _from_files(
    ref: str, config_dir: str | None, models_map: tuple[tuple[str, str], ...], model_config: str | None
) -> Resolution | None:
    """Steps 1-3 of the order: an explicit config, the ``models`` map, a local path, the HF cache."""
    if model_config:
        return _from_path(_expanded(Path(model_config)), ref, "config", config_dir, required=True)
    mapping = {key.lower(): value for key, value in models_map}
    if ref.lower() in mapping:
        return _from_path(_expanded(Path(mapping[ref.lower()])), ref, "config", config_dir, required=True)
    if not ref:
        return None
    path_like = _looks_like_path(ref)
    for base in _bases(config_dir):
        # A model id such as org/name is almost never a local directory: ask the file system with a plain
        # string first (this runs once per model and directory of a repo).
        if not path_like and not os.path.exists(os.path.join(base, ref) if base else ref):
            continue
        candidate = _expanded(Path(base) / ref) if base else _expanded(Path(ref))
        if path_like or candidate.exists():
            found = _from_path(candidate, ref, "local", config_dir, required=False)
            if found.structure is not None or found.message:
                return found
    cached = _hf_cache_config(ref)
    if cached is not None:
        return _read_config(cached, ref, f"hf-cache:{cached}")
    return None


def _how_to_provide(ref: str) -> str:
    name = ref or "MODEL"
    return (
        f"pass --model-config PATH/config.json, map it in parlint's configuration (models: {{{name}: PATH}}), "
        f"or download its config.json into the Hugging Face cache (huggingface-cli download {name} config.json)"
    )


def _bases(config_dir: str | None) -> list[str | None]:
    return [config_dir, None] if config_dir else [None]


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or ref.endswith(".json")


def _from_path(path: Path, ref: str, kind: str, config_dir: str | None, *, required: bool) -> Resolution:
    if not path.is_absolute() and config_dir and (Path(config_dir) / path).exists():
        path = Path(config_dir) / path
    if path.is_dir():
        for name in CONFIG_NAMES:
            if (path / name).is_file():
                return _read_config(path / name, ref, f"{kind}:{path / name}")
        if required:
            return Resolution(None, message=f"{path} has no config.json; " + _how_to_provide(ref))
    if path.is_file():
        return _read_config(path, ref, f"{kind}:{path}")
    if required:
        return Resolution(None, message=f"model config {path} does not exist; " + _how_to_provide(ref))
    return Resolution(None)


def _read_config(path: Path, ref: str, source: str) -> Resolution:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return Resolution(None, source, f"cannot read {path}: {error}; " + _how_to_provide(ref))
    if not isinstance(raw, dict):
        return Resolution(None, source, f"{path} is not a JSON object; " + _how_to_provide(ref))
    from parlint.linter.models.normalize import normalize_config  # catalog hits need no normalizer

    result = normalize_config(raw, model_id=ref or str(raw.get("_name_or_path") or path.parent.name), source=source)
    structure = result.structure
    if structure is not None and structure.quantization is None:
        structure = _with_modelopt_quantization(structure, path.parent / MODELOPT_CONFIG)
    missing = tuple(result.missing)
    if structure is None:
        return Resolution(None, source, f"{path} lacks {', '.join(missing)}; " + _how_to_provide(ref), missing)
    note = f"{path} lacks {', '.join(missing)}" if missing else ""
    return Resolution(structure, source, note, missing)


def _with_modelopt_quantization(structure: ModelStructure, path: Path) -> ModelStructure:
    """NVIDIA ModelOpt checkpoints describe their quantization in a separate hf_quant_config.json."""
    if not path.is_file():
        return structure
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return structure
    if not isinstance(data, dict):
        return structure
    from parlint.linter.models.normalize import quantization_from_config

    return replace(structure, quantization=quantization_from_config(data))


def hf_cache_dirs() -> list[Path]:
    """Hugging Face hub cache directories in the order huggingface_hub consults them."""
    if os.environ.get("HF_HUB_CACHE"):
        return [_expanded(Path(os.environ["HF_HUB_CACHE"]))]
    if os.environ.get("HF_HOME"):
        return [_expanded(Path(os.environ["HF_HOME"])) / "hub"]
    return [Path.home() / ".cache" / "huggingface" / "hub"]


@lru_cache(maxsize=1024)  # one answer per model id and run: the cache directory is listed once, not per file
def _hf_cache_config(ref: str) -> Path | None:
    if ref.count("/") != 1 or _looks_like_path(ref):
        return None
    folder = "models--" + ref.replace("/", "--")
    for cache in hf_cache_dirs():
        repo = _find_case_insensitive(cache, folder)
        if repo is None:
            continue
        snapshots = repo / "snapshots"
        preferred = _ref_main(repo)
        if preferred and (snapshots / preferred / "config.json").is_file():
            return snapshots / preferred / "config.json"
        try:
            candidates = [item / "config.json" for item in snapshots.iterdir() if (item / "config.json").is_file()]
        except OSError:
            continue
        if candidates:
            return max(candidates, key=lambda item: item.stat().st_mtime)
    return None


def _ref_main(repo: Path) -> str | None:
    try:
        return (repo / "refs" / "main").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _find_case_insensitive(cache: Path, folder: str) -> Path | None:
    if (cache / folder).is_dir():
        return cache / folder
    try:
        for item in cache.iterdir():
            if item.name.lower() == folder.lower() and item.is_dir():
                return item
    except OSError:
        return None
    return None


def clear_cache() -> None:
    """Forget cached resolutions (tests and long-running processes that change files)."""
    _resolve.cache_clear()
    _from_files.cache_clear()
    _hf_cache_config.cache_clear()
