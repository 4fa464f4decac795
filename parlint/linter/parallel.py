"""Lint many files: cache hits first, then the misses serially for a handful (no pool start-up in the
pre-commit case) or across processes for large sets. The output order is the input order either way, so
parallel and serial runs print the same report."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from parlint.linter.config import Settings
from parlint.linter.runner import FileResult, RunOptions, lint_path

PARALLEL_THRESHOLD = 64
"""Below this many files a process pool costs more than it saves."""

CACHE_THRESHOLD = 16
"""Below this many files, reading the cache index costs more than linting them (the pre-commit case)."""


def _lint_one(job: tuple[str, Settings, RunOptions, bool]) -> FileResult:
    path, settings, options, snapshot = job
    return lint_path(path, settings, options, snapshot=snapshot)


def _lint_all(work: list[tuple[str, Settings, RunOptions, bool]], workers: int | None,
              debug: bool) -> list[FileResult]:
    count = workers or min(os.cpu_count() or 1, 8)
    if count <= 1 or len(work) < PARALLEL_THRESHOLD or debug:
        return [_lint_one(job) for job in work]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork keeps the parent's imports (cheap workers); other platforms use their safe default.
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    chunk = max(1, len(work) // (count * 8))
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        return list(pool.map(_lint_one, work, chunksize=chunk))


def lint_many(
    jobs: Sequence[tuple[str, Settings]],
    options: RunOptions,
    *,
    cache_root: Path | None,
    workers: int | None = None,
) -> list[FileResult]:
    cache = None
    if cache_root is not None and len(jobs) >= CACHE_THRESHOLD:
        from parlint.linter.cache import ResultCache

        cache = ResultCache(cache_root)
    results: list[FileResult | None] = [
        cache.lookup(path, settings, options) if cache else None for path, settings in jobs
    ]
    misses = [index for index, result in enumerate(results) if result is None]
    work = [(jobs[index][0], jobs[index][1], options, cache is not None) for index in misses]
    fresh = _lint_all(work, workers, options.debug)
    for index, result in zip(misses, fresh, strict=True):
        results[index] = result
        if cache:
            cache.store(result, jobs[index][1], options)
    if cache:
        cache.flush()
    return [result for result in results if result is not None]
