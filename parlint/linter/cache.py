"""The result cache: skip files whose result cannot have changed (like ruff's cache).

An entry is keyed by the SHA-256 of the parlint version, the effective settings, the run options,
the file's path and its bytes. Model metadata is the one input outside that key: each entry records
the model lookups its result depended on (:class:`~parlint.linter.runner.ModelLookup`) with a
fingerprint of the config file they read, and is reused only when every lookup still resolves to the
same source with the same fingerprint. Entries live in ``.parlint_cache/`` (with its own
``.gitignore``), one file each, written atomically, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from parlint import __version__
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Diagnostic
from parlint.linter.runner import FileResult, ModelLookup, RunOptions

CACHE_DIRECTORY = ".parlint_cache"
FORMAT = "v1"


def _source_fingerprint(source: str) -> str:
    """Size and mtime of the config file a resolution read; the catalog is covered by the version."""
    _, _, location = source.partition(":")
    if not location:
        return source
    try:
        stat = os.stat(location)
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _settings_fingerprint(settings: Settings, options: RunOptions) -> str:
    payload = {"settings": dataclasses.asdict(settings), "options": dataclasses.asdict(options)}
    return json.dumps(payload, sort_keys=True, default=str)


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIRECTORY / FORMAT
        self._ready = False

    def key(self, path: str, data: bytes, settings: Settings, options: RunOptions) -> str:
        digest = hashlib.sha256()
        # The path as given (not made absolute): diagnostics store it, so a hit reproduces the same output.
        for part in (__version__, _settings_fingerprint(settings, options), path):
            digest.update(part.encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, path: str) -> FileResult | None:
        try:
            payload: dict[str, Any] = json.loads(self._entry(key).read_text(encoding="utf-8"))
            lookups = [ModelLookup(item["ref"], item["config_dir"], item["source"]) for item in payload["models"]]
            if any(_source_fingerprint(lookup.source) != fingerprint
                   for lookup, fingerprint in zip(lookups, payload["fingerprints"], strict=True)):
                return None
            if not all(self._still_resolves(lookup, payload["models_map"], payload["model_config"])
                       for lookup in lookups):
                return None
            diagnostics = [Diagnostic.from_json(item) for item in payload["diagnostics"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return FileResult(path, diagnostics, False, lookups)

    @staticmethod
    def _still_resolves(lookup: ModelLookup, models_map: dict[str, str], model_config: str | None) -> bool:
        from parlint.linter.models.resolve import resolve_model

        again = resolve_model(
            lookup.ref, config_dir=lookup.config_dir, models_map=models_map, model_config=model_config
        )
        return again.source == lookup.source

    def put(self, key: str, result: FileResult, settings: Settings, options: RunOptions) -> None:
        if result.internal_error:
            return
        payload = {
            "diagnostics": [diagnostic.to_json() for diagnostic in result.diagnostics],
            "models": [dataclasses.asdict(lookup) for lookup in result.models],
            "fingerprints": [_source_fingerprint(lookup.source) for lookup in result.models],
            "models_map": settings.models,
            "model_config": options.model_config,
        }
        import tempfile

        try:
            self._prepare()
            entry = self._entry(key)
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, separators=(",", ":"))
            os.replace(temporary, entry)
        except OSError:
            # A read-only checkout or a full disk must not fail the lint; the cache is only an accelerator.
            return

    def _prepare(self) -> None:
        if self._ready:
            return
        top = self.directory.parent
        top.mkdir(parents=True, exist_ok=True)
        ignore = top / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by parlint: the result cache is never committed.\n*\n", encoding="utf-8")
        self._ready = True
