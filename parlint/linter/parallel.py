"""Lint many files: serially for a handful (no pool start-up in the pre-commit case), across processes
for large sets. The output order is the input order either way, so parallel and serial runs print the
same report."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from parlint.linter.config import Settings
from parlint.linter.runner import FileResult, RunOptions, lint_path

PARALLEL_THRESHOLD = 64
"""Below this many files a process pool costs more than it saves."""

_worker_cache_root: Path | None = None


def _init_worker(cache_root: Path | None) -> None:
    global _worker_cache_root
    _worker_cache_root = cache_root


def _lint_one(job: tuple[str, Settings, RunOptions]) -> FileResult:
    from parlint.linter.cache import ResultCache

    path, settings, options = job
    cache = ResultCache(_worker_cache_root) if _worker_cache_root is not None else None
    return lint_path(path, settings, options, cache)


def lint_many(
    jobs: Sequence[tuple[str, Settings]],
    options: RunOptions,
    *,
    cache_root: Path | None,
    workers: int | None = None,
) -> list[FileResult]:
    count = workers or min(os.cpu_count() or 1, 8)
    work = [(path, settings, options) for path, settings in jobs]
    if count <= 1 or len(work) < PARALLEL_THRESHOLD or options.debug:
        _init_worker(cache_root)
        return [_lint_one(job) for job in work]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork keeps the parent's imports (cheap workers); other platforms use their safe default.
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    chunk = max(1, len(work) // (count * 8))
    with ProcessPoolExecutor(count, mp_context=context, initializer=_init_worker, initargs=(cache_root,)) as pool:
        return list(pool.map(_lint_one, work, chunksize=chunk))
