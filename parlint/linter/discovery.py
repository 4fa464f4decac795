"""Which files to lint: explicit files as given, directories walked recursively.

Inside a git work tree the walk asks git for the tracked and untracked-but-not-ignored files, so
``.gitignore`` is honoured exactly as git reads it; elsewhere it walks the file system. Version-control
directories, virtualenvs, ``node_modules`` and caches are always skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

LINTABLE_SUFFIXES = frozenset({".yaml", ".yml", ".json"})

SKIPPED_DIRECTORIES = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".parlint_cache", ".hypothesis", "site-packages",
    }
)


def is_lintable(path: Path) -> bool:
    """YAML/JSON configs, and the files launch commands live in (:func:`parlint.linter.launch.file_kind`):
    shell scripts (also suffix-less files with a shell shebang), Markdown, Dockerfiles, Python."""
    from parlint.linter.launch import file_kind

    if path.suffix.lower() in LINTABLE_SUFFIXES or file_kind(path.name):
        return True
    if path.suffix or not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(128).decode("utf-8", "replace")
    except OSError:
        return False
    return file_kind(path.name, head) == "shell"


def _skipped(parts: Iterable[str]) -> bool:
    return any(part in SKIPPED_DIRECTORIES for part in parts)


def _git_files(directory: Path) -> list[Path] | None:
    """Files git would show under ``directory`` (tracked + untracked, minus ignored); None outside git."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."],
            cwd=directory,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [directory / name for name in names if name]


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(
            name for name in dirs if name not in SKIPPED_DIRECTORIES and not (Path(root, name) / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            yield Path(root, name)


def discover(paths: Iterable[str]) -> Iterator[Path]:
    """Lintable files under ``paths``, each once, in a stable order. Missing paths raise FileNotFoundError."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            listed = _git_files(path)
            candidates = sorted(listed) if listed is not None else list(_walk(path))
            virtualenvs = {candidate.parent for candidate in candidates if candidate.name == "pyvenv.cfg"}
            for candidate in candidates:
                relative = candidate.relative_to(path).parts[:-1]
                if not is_lintable(candidate) or _skipped(relative) or candidate in seen:
                    continue
                if virtualenvs and any(parent in virtualenvs for parent in candidate.parents):
                    continue
                if candidate.is_file():
                    seen.add(candidate)
                    yield candidate
        elif path.exists():
            if path not in seen:
                seen.add(path)
                yield path
        else:
            raise FileNotFoundError(raw)
