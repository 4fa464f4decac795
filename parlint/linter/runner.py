"""Lint one file end to end: read -> load -> adapt -> resolve model -> derive mapping -> rules -> suppressions.

Each stage hands plain data to the next; nothing flows back. Any unexpected exception while linting
one file becomes a PL000 diagnostic for that file (with ``debug`` it propagates instead).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from parlint.linter.config import Settings
from parlint.linter.diagnostics import FILE_START, Diagnostic, LoadProblem

if TYPE_CHECKING:
    # Imported where used: a warm run answered from the result cache never loads the linting machinery.
    from parlint.linter.context import LintContext
    from parlint.linter.mapping import Deployment
    from parlint.rules import Rule

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RunOptions:
    model_config: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    debug: bool = False


@dataclass(frozen=True)
class ModelLookup:
    """One model resolution a file's result depends on; the result cache re-checks it before reuse."""

    ref: str
    config_dir: str
    source: str


@dataclass(frozen=True)
class Snapshot:
    """The file a result was computed from: its size and mtime (taken before reading) and content digest."""

    size: int
    mtime_ns: int
    digest: str


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_error: bool = False
    models: list[ModelLookup] = field(default_factory=list)
    snapshot: Snapshot | None = None


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str | None, str]:
    """Text of a file, or None and the reason it is not text. BOMs select UTF-16/32; default UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        encoding = "utf-32"
    else:
        if b"\0" in data[:8192]:
            return None, "binary content (NUL bytes): not a text file"
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding), ""
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, f"invalid {encoding.upper().replace('-SIG', '')} at byte {error.start} (line {line})"


def _read_bytes(path: str, options: RunOptions) -> tuple[bytes | None, LoadProblem | None, os.stat_result | None]:
    """The file's bytes (or why not) and its status taken *before* the read, so a later change shows.

    Plain descriptor calls: ``open()`` plus ``read(limit)`` allocated a buffer of the whole size limit for
    every file (most of the cost of reading a small config)."""
    over = f"over the {options.max_bytes // (1024 * 1024)} MiB limit (raise it with --max-file-size)"
    try:
        # Non-blocking: opening a FIFO for reading would otherwise wait until some writer comes along.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket cannot be opened as a file
            return None, LoadProblem("not a regular file (a FIFO or socket): not read", FILE_START), None
        return None, LoadProblem(f"cannot read file: {error.strerror or error}", FILE_START), None
    try:
        status = os.fstat(descriptor)
        if stat.S_ISFIFO(status.st_mode) or stat.S_ISSOCK(status.st_mode):
            return None, LoadProblem("not a regular file (a FIFO or socket): not read", FILE_START), None
        if status.st_size > options.max_bytes:
            problem = LoadProblem(f"file is {status.st_size / (1024 * 1024):.0f} MiB, {over}", FILE_START)
            return None, problem, None
        data = _read_bounded(descriptor, status, options.max_bytes)
        if len(data) > options.max_bytes:
            return None, LoadProblem(f"file is {over}", FILE_START), None
        return data, None, status
    except OSError as error:
        return None, LoadProblem(f"cannot read file: {error.strerror or error}", FILE_START), None
    finally:
        os.close(descriptor)


def _read_bounded(descriptor: int, status: os.stat_result, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: a device such as /dev/zero, or a file that grew after the status was
    taken, must not fill memory. A short read of a regular file is its end."""
    regular = stat.S_ISREG(status.st_mode)
    want = min(status.st_size, limit) + 1
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(descriptor, min(want, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if regular and len(chunk) < want:
            break
        want = 1 << 16
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _read(path: str, options: RunOptions) -> tuple[str | None, LoadProblem | None]:
    data, problem, _ = _read_bytes(path, options)
    if data is None:
        return None, problem
    text, reason = decode(data)
    return text, (LoadProblem(reason, FILE_START) if text is None else None)


_SELECTED_PER_SETTINGS: dict[tuple[int, int], tuple[Settings, tuple[Rule, ...], list[Rule]]] = {}
"""Without per-file ignores the enabled rules depend on the settings alone; files of one directory share
one Settings object (the objects are kept alive here, so their ids cannot be reused)."""


def _selected(settings: Settings, path: str) -> list[Rule]:
    from parlint.rules import all_rules

    rules = all_rules()
    if settings.per_file_ignores:
        return [rule for rule in rules if settings.enabled(rule.code, rule.name, path)]
    known = _SELECTED_PER_SETTINGS.get((id(settings), id(rules)))
    if known is None:
        if len(_SELECTED_PER_SETTINGS) >= 256:  # a long-lived caller creating many Settings
            _SELECTED_PER_SETTINGS.clear()
        enabled = [rule for rule in rules if settings.enabled(rule.code, rule.name, path)]
        known = _SELECTED_PER_SETTINGS[(id(settings), id(rules))] = (settings, rules, enabled)
    return known[2]


def _build_context(
    path: str, text: str, settings: Settings, options: RunOptions, lookups: list[ModelLookup] | None = None
) -> LintContext:
    from parlint.linter.adapters import adapt
    from parlint.linter.context import DeploymentFacts, LintContext
    from parlint.linter.derive import derive
    from parlint.linter.launch import extract_documents, extract_text, file_kind
    from parlint.linter.loader import load_text
    from parlint.linter.models.hardware import find_gpu
    from parlint.linter.models.resolve import resolve_model

    kind = file_kind(path, text)
    if kind in ("yaml", "json", ""):
        loaded = load_text(path, text)
        ctx = LintContext(path, list(loaded.problems))
        if not loaded.ok:
            return ctx
        plans = adapt(loaded)
        if kind != "json":
            ctx.launch = extract_documents(loaded)
    else:
        ctx = LintContext(path, launch=extract_text(path, text, kind))
        plans = []
    ctx.text = text
    config_dir = os.path.dirname(os.path.abspath(path))
    for plan in [*plans, *ctx.launch.plans]:
        plan.source_text = text
        structure, source, message = None, "", ""
        if plan.model is not None:
            resolution = resolve_model(
                str(plan.model.value),
                config_dir=config_dir,
                models_map=settings.models,
                model_config=options.model_config,
            )
            structure, source, message = resolution.structure, resolution.source, resolution.message
            if lookups is not None:
                lookups.append(ModelLookup(str(plan.model.value), config_dir, source))
        gpus_per_node = plan.gpus_per_node.value if plan.gpus_per_node else settings.gpus_per_node
        deployment = derive(plan, structure, gpus_per_node=gpus_per_node)
        objective = plan.objective.value if plan.objective else settings.objective
        gpu_name = plan.gpu.value if plan.gpu else settings.gpu
        gpu = find_gpu(str(gpu_name)) if gpu_name else None
        ctx.deployments.append(DeploymentFacts(deployment, source, message, objective, gpu))
    return ctx


def _selects_any(selector: str, rules: list[Rule]) -> bool:
    return any(rule.code.startswith(selector.upper()) or rule.name == selector for rule in rules)


def _run_rules(ctx: LintContext, rules: list[Rule], settings: Settings) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        for item in rule.check(ctx):
            diagnostic = rule.diagnostic(item)
            override = settings.severity.get(rule.code)
            found.append(replace(diagnostic, severity=override) if override else diagnostic)
    return found


def lint_text(path: str, text: str | None, settings: Settings, options: RunOptions,
              read_problem: LoadProblem | None = None) -> FileResult:
    """Lint a buffer that claims to be ``path`` (used for files and for ``--stdin-filename``)."""
    from parlint.linter.adapters import looks_relevant
    from parlint.linter.context import LintContext
    from parlint.linter.launch import looks_relevant as launch_relevant
    from parlint.linter.suppressions import apply_suppressions, find_suppressions
    from parlint.rules import META_CODES

    rules = _selected(settings, path)
    structural = [rule for rule in rules if rule.code not in META_CODES]
    if text is None:
        ctx = LintContext(path, [read_problem] if read_problem else [])
        return FileResult(path, sorted(_run_rules(ctx, structural, settings), key=Diagnostic.sort_key))
    if not looks_relevant(text) and not launch_relevant(text) and "parlint:" not in text:
        return FileResult(path)
    result = FileResult(path)
    try:
        ctx = _build_context(path, text, settings, options, result.models)
        # One launch site can yield several plans (SkyPilot accelerator alternatives): say each thing once.
        diagnostics = list({(item.code, item.range, item.message): item
                            for item in _run_rules(ctx, structural, settings)}.values())
    except Exception as error:  # one bad file must not stop the run
        if options.debug:
            raise
        ctx = LintContext(path, internal_errors=[f"{type(error).__name__}: {error}"])
        diagnostics = []
        result.internal_error = True
    suppressions = find_suppressions(text)
    diagnostics = apply_suppressions(diagnostics, suppressions)
    ctx.unused_suppressions = [
        (suppression, selector)
        for suppression in suppressions
        for selector in suppression.selectors
        if selector not in suppression.used and _selects_any(selector, structural)
    ]
    meta = [rule for rule in rules if rule.code in META_CODES]
    diagnostics.extend(_run_rules(ctx, meta, settings))
    result.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
    return result


def show_deployments(path: str, settings: Settings, options: RunOptions) -> list[Deployment]:
    """The structural mappings of one file, for ``parlint show`` (no rules run)."""
    text, _ = _read(path, options)
    if text is None:
        return []
    return [facts.deployment for facts in _build_context(path, text, settings, options).deployments]


def lint_path(path: str, settings: Settings, options: RunOptions, *, snapshot: bool = False) -> FileResult:
    """Lint one file; ``snapshot`` also records what was read (size, mtime, digest) for the result cache."""
    data, problem, status = _read_bytes(path, options)
    if data is None:
        return lint_text(path, None, settings, options, problem)
    text, reason = decode(data)
    result = lint_text(path, text, settings, options, LoadProblem(reason, FILE_START) if text is None else None)
    if snapshot and status is not None:
        result.snapshot = Snapshot(status.st_size, status.st_mtime_ns, digest(data))
    return result
