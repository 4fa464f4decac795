"""The result cache: skip files whose result cannot have changed (like ruff's cache).

Results are grouped by a *run key*: the SHA-256 of the parlint version, a fingerprint of parlint's own
installed files (so editing a rule invalidates everything, not only a version bump), the effective
settings and the run options. Each group is one index file mapping a path to the result computed for
it and the file's size, mtime and content digest at that time:

- same size and mtime, and the mtime is safely older than the entry (not "racily clean", as git calls
  it): the content is taken as unchanged without reading it;
- otherwise the file is read and its SHA-256 compared, so a touched but unchanged file is still a hit.

Model metadata is the one input outside the key: each entry records the model lookups its result
depended on with a fingerprint of the config file they read, and is reused only when every lookup
still resolves to the same source with the same fingerprint.

Index files live in ``.parlint_cache/`` (with its own ``.gitignore``) and are replaced atomically, so a
concurrent run never reads half an index; when two runs race, the last writer wins and the other's
new entries are simply recomputed next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from parlint import __version__
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Diagnostic
from parlint.linter.runner import FileResult, ModelLookup, RunOptions, digest

CACHE_DIRECTORY = ".parlint_cache"
FORMAT = "v2"
RACY_NS = 2_000_000_000
"""A file modified this close before its entry was written may change again within the same mtime tick."""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Names, sizes and mtimes of parlint's own source and data files."""
    import parlint

    root = Path(parlint.__file__).parent
    parts: list[str] = []
    for directory, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                status = os.stat(os.path.join(directory, name))
                parts.append(f"{os.path.relpath(os.path.join(directory, name), root)}:{status.st_size}:"
                             f"{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _source_fingerprint(source: str) -> str:
    """Size and mtime of the config file a resolution read; the catalog is covered by the code fingerprint."""
    _, _, location = source.partition(":")
    if not location:
        return source
    try:
        status = os.stat(location)
    except OSError:
        return "missing"
    return f"{status.st_size}:{status.st_mtime_ns}"


def run_key(settings: Settings, options: RunOptions) -> str:
    payload = json.dumps(
        {"settings": dataclasses.asdict(settings), "options": dataclasses.asdict(options)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(f"{__version__}\0{code_fingerprint()}\0{payload}".encode()).hexdigest()[:24]


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIRECTORY / FORMAT
        self._indexes: dict[str, dict[str, dict[str, Any]]] = {}
        self._dirty: set[str] = set()
        # Files of one directory share one Settings object: key it once (the objects are kept alive here,
        # so their ids cannot be reused while the entry exists).
        self._keys: dict[tuple[int, int], tuple[Settings, RunOptions, str]] = {}
        self._holds: dict[tuple[str, str, str, str, int, int], bool] = {}

    def _run_key(self, settings: Settings, options: RunOptions) -> str:
        known = self._keys.get((id(settings), id(options)))
        if known is None:
            known = self._keys[(id(settings), id(options))] = (settings, options, run_key(settings, options))
        return known[2]

    def _index(self, key: str) -> dict[str, dict[str, Any]]:
        index = self._indexes.get(key)
        if index is None:
            try:
                loaded = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
                index = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                index = {}
            self._indexes[key] = index
        return index

    def lookup(self, path: str, settings: Settings, options: RunOptions) -> FileResult | None:
        key = self._run_key(settings, options)
        entry = self._index(key).get(path)
        if entry is None:
            return None
        try:
            if not self._unchanged(path, entry, key):
                return None
            lookups = [ModelLookup(**item) for item in entry["models"]]
            if not all(self._lookup_holds(lookup, fingerprint, settings, options)
                       for lookup, fingerprint in zip(lookups, entry["fingerprints"], strict=True)):
                return None
            diagnostics = [Diagnostic.from_json(item) for item in entry["diagnostics"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return FileResult(path, diagnostics, False, lookups)

    def _unchanged(self, path: str, entry: dict[str, Any], key: str) -> bool:
        status = os.stat(path)
        if status.st_size != entry["size"]:
            return False
        if status.st_mtime_ns == entry["mtime_ns"] and entry["mtime_ns"] < entry["stored_ns"] - RACY_NS:
            return True
        with open(path, "rb") as handle:
            if digest(handle.read()) != entry["digest"]:
                return False
        entry["mtime_ns"] = status.st_mtime_ns
        entry["stored_ns"] = time.time_ns()
        self._dirty.add(key)
        return True

    def _lookup_holds(self, lookup: ModelLookup, fingerprint: str, settings: Settings, options: RunOptions) -> bool:
        """Whether a model lookup still gives the same answer; asked once per lookup and settings in a run
        (the files of one directory share their lookups)."""
        key = (lookup.ref, lookup.config_dir, lookup.source, fingerprint, id(settings), id(options))
        holds = self._holds.get(key)
        if holds is None:
            # The settings and options objects are kept alive by self._keys, so their ids stay unique.
            holds = self._holds[key] = (_source_fingerprint(lookup.source) == fingerprint
                                        and self._still_resolves(lookup, settings, options))
        return holds

    @staticmethod
    def _still_resolves(lookup: ModelLookup, settings: Settings, options: RunOptions) -> bool:
        from parlint.linter.models.resolve import resolve_model, resolves_from_files

        config_dir, models, model_config = lookup.config_dir, settings.models, options.model_config
        if lookup.source == "catalog":
            # Still the catalog unless a file source now answers first (the catalog is in the code fingerprint).
            return not resolves_from_files(lookup.ref, config_dir=config_dir, models_map=models,
                                           model_config=model_config)
        again = resolve_model(lookup.ref, config_dir=config_dir, models_map=models, model_config=model_config)
        return again.source == lookup.source

    def store(self, result: FileResult, settings: Settings, options: RunOptions) -> None:
        if result.internal_error or result.snapshot is None:
            return
        key = self._run_key(settings, options)
        self._index(key)[result.path] = {
            "size": result.snapshot.size,
            "mtime_ns": result.snapshot.mtime_ns,
            "digest": result.snapshot.digest,
            "stored_ns": time.time_ns(),
            "diagnostics": [diagnostic.to_json() for diagnostic in result.diagnostics],
            # Spelled out: dataclasses.asdict deep-copies recursively and cost more than the rest of store().
            "models": [{"ref": lookup.ref, "config_dir": lookup.config_dir, "source": lookup.source}
                       for lookup in result.models],
            "fingerprints": [_source_fingerprint(lookup.source) for lookup in result.models],
        }
        self._dirty.add(key)

    def flush(self) -> None:
        """Write the changed indexes atomically. A read-only checkout or a full disk is not an error."""
        import tempfile

        for key in sorted(self._dirty):
            try:
                self._prepare()
                handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    _write_index(stream, self._indexes[key])
                os.replace(temporary, self.directory / f"{key}.json")
            except OSError:
                continue
        self._dirty.clear()

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by parlint: the result cache is never committed.\n*\n", encoding="utf-8")


def _write_index(stream: TextIO, index: dict[str, dict[str, Any]]) -> None:
    """One JSON object, encoded a slice of entries at a time: ``json.dumps`` runs the C encoder (``json.dump``
    to a stream takes the pure-Python path, 10x slower), and slices keep the encoded text of a 50,000-file
    index from doubling the run's peak memory."""
    items = list(index.items())
    stream.write("{")
    for start in range(0, len(items), 2048):
        encoded = json.dumps(dict(items[start: start + 2048]), separators=(",", ":"))
        stream.write(("," if start else "") + encoded[1:-1])
    stream.write("}")
