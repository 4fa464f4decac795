"""Which files to lint: explicit files as given, directories walked recursively.

Inside a git work tree the walk asks git for the tracked and untracked-but-not-ignored files, so
``.gitignore`` is honoured exactly as git reads it; elsewhere it walks the file system. Version-control
directories, virtualenvs, ``node_modules`` and caches are always skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

LINTABLE_SUFFIXES = frozenset({".yaml", ".yml", ".json"})

SKIPPED_DIRECTORIES = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".parlint_cache", ".hypothesis", "site-packages",
    }
)


def is_lintable(path: str) -> bool:
    """YAML/JSON configs, and the files launch commands live in (:func:`parlint.linter.launch.file_kind`):
    shell scripts (also suffix-less files with a shell shebang), Markdown, Dockerfiles, Python."""
    from parlint.linter.launch import file_kind

    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1]
    if suffix.lower() in LINTABLE_SUFFIXES or file_kind(name):
        return True
    if suffix or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(128).decode("utf-8", "replace")
    except OSError:
        return False
    return file_kind(name, head) == "shell"


def _git_files(directory: str) -> list[str] | None:
    """Paths (relative to ``directory``, ``/``-separated) git would show there: tracked and untracked,
    minus ignored. None outside a git work tree."""
    if not _in_git_work_tree(directory):
        return None
    import subprocess

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
    return sorted(name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name)


def _in_git_work_tree(directory: str) -> bool:
    """Whether git could answer for ``directory``: a ``.git`` here or above, or git told where by the
    environment. Spares a git process (~5 ms) where there is no repository."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def _walk(directory: str) -> list[str]:
    """Relative ``/``-separated paths under ``directory``, skipping vendored directories and virtualenvs."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(
            name for name in dirs
            if name not in SKIPPED_DIRECTORIES and not os.path.exists(os.path.join(root, name, "pyvenv.cfg"))
        )
        # os.walk joins names onto ``directory``, so the relative part is a slice (relpath cost ~10 us a directory).
        relative = root[len(directory):].lstrip(os.sep).replace(os.sep, "/")
        prefix = relative + "/" if relative else ""
        found.extend(prefix + name for name in sorted(files))
    return found


def discover(paths: Iterable[str]) -> Iterator[str]:
    """Lintable files under ``paths``, each once, in a stable order. Missing paths raise FileNotFoundError.

    Paths are strings (a directory joined with the ``/``-separated names found under it): the runner and
    the cache key on strings, and building a :class:`pathlib.Path` per file was a tenth of a warm run."""
    seen: set[str] = set()
    for raw in paths:
        given = str(Path(raw))  # as pathlib spells it: no "./" prefix, no doubled or trailing "/"
        if os.path.isdir(raw):
            listed = _git_files(raw)
            names = listed if listed is not None else _walk(raw)
            virtualenvs = tuple(name[: -len("pyvenv.cfg")] for name in names if name.rsplit("/", 1)[-1] == "pyvenv.cfg")
            prefix = "" if given == "." else given if given.endswith("/") else given + "/"
            for name in names:
                if any(part in SKIPPED_DIRECTORIES for part in name.split("/")[:-1]):
                    continue
                if virtualenvs and name.startswith(virtualenvs):
                    continue
                full = prefix + name
                if full in seen or not is_lintable(full) or not os.path.isfile(full):
                    continue
                seen.add(full)
                yield full
        elif os.path.exists(raw):
            if given not in seen:
                seen.add(given)
                yield given
        else:
            raise FileNotFoundError(raw)
