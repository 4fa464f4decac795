"""``--fix`` never loses work: atomic replacement, mode and owner kept, symlinks edited at their target,
read-only files and files changed on disk left alone (and reported), and a run killed at any moment
leaves every file fully old or fully new. Plus the fix properties over generated and mutated configs:
a second ``--fix`` changes nothing, and fixing never adds errors."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from parlint.linter.cli import main
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Diagnostic, Severity
from parlint.linter.fixes import fix_file, fix_text
from parlint.linter.runner import RunOptions, decode, lint_text
from tests.fuzzing import Case, engine_configs, fixture_mutations

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "# sglang\nmodel-path: meta-llama/Llama-3.1-8B\ntp_size: 2  # two GPUs\n"
AFTER = "# sglang\nmodel-path: meta-llama/Llama-3.1-8B\ntp-size: 2  # two GPUs\n"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _config(tmp_path: Path, name: str = "serve.yaml", text: str = BEFORE) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith(".parlint-"))


def _lint(path: Path) -> object:
    settings = Settings(root=str(path.parent))

    def lint(text: str) -> list[Diagnostic]:
        return lint_text(str(path), text, settings, RunOptions()).diagnostics

    return lint


def test_fix_replaces_the_file_atomically_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = _config(tmp_path)
    inode = path.stat().st_ino
    code, _, _ = _cli("check", "--fix", "--no-cache", str(path))
    assert code == 0 and path.read_text("utf-8") == AFTER
    assert path.stat().st_ino != inode, "written through a new file renamed over the old one"
    assert _leftovers(tmp_path) == []


def test_fix_keeps_mode_and_owner(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.chmod(0o640)
    owner = (4242, 4343) if AS_ROOT else (os.getuid(), os.getgid())
    if AS_ROOT:
        os.chown(path, *owner)
    _cli("check", "--fix", "--no-cache", str(path))
    status = path.stat()
    assert path.read_text("utf-8") == AFTER
    assert (status.st_mode & 0o7777, status.st_uid, status.st_gid) == (0o640, *owner)


def test_symlinked_file_is_fixed_at_its_target_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = _config(real)
    link = tmp_path / "serve.yaml"
    link.symlink_to(target)
    _cli("check", "--fix", "--no-cache", str(link))
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text("utf-8") == AFTER
    assert _leftovers(tmp_path) == [] and _leftovers(real) == []


def test_read_only_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.chmod(0o444)
    _, out, err = _cli("check", "--fix", "--no-cache", str(path))
    assert path.read_text("utf-8") == BEFORE and path.stat().st_mode & 0o777 == 0o444
    assert f"{path}: read-only file: not fixed" in err
    assert "PL901" in out  # its problems are still reported
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only directories")
def test_file_in_a_read_only_directory_is_reported(tmp_path: Path) -> None:
    path = _config(tmp_path)
    tmp_path.chmod(0o555)
    try:
        code, _, err = _cli("check", "--fix", "--no-cache", str(path))
    finally:
        tmp_path.chmod(0o755)
    assert path.read_text("utf-8") == BEFORE and "cannot write" in err and code == 1


def test_file_changed_on_disk_during_the_fix_is_not_overwritten(tmp_path: Path) -> None:
    path = _config(tmp_path)
    inner = _lint(path)
    edited = BEFORE + "max-running-requests: 64\n"
    calls = []

    def lint_while_someone_saves(text: str) -> list[Diagnostic]:
        calls.append(text)
        if len(calls) == 1:
            path.write_text(edited, "utf-8")  # an editor saves while parlint is linting
        return inner(text)  # type: ignore[operator, no-any-return]

    result = fix_file(str(path), lint_while_someone_saves, unsafe=False, write=True)
    assert path.read_text("utf-8") == edited
    assert result.refused == "changed on disk while parlint was fixing it: not overwritten"
    assert [d.code for d in result.diagnostics] == ["PL901"]  # the problems of the text it read
    assert _leftovers(tmp_path) == []


# -- kill during a large multi-file fix -------------------------------------------------------------

_PADDING = "# " + "x" * 98 + "\n"


def _large_files(directory: Path, count: int, lines: int) -> tuple[bytes, bytes]:
    old = (BEFORE + _PADDING * lines).encode()
    for index in range(count):
        (directory / f"serve-{index:03}.yaml").write_bytes(old)
    return old, (AFTER + _PADDING * lines).encode()


def _fix_command(directory: Path) -> list[str]:
    return [sys.executable, "-m", "parlint", "check", "--fix", "--no-cache", "-j", "1", str(directory)]


def test_killing_a_multi_file_fix_leaves_each_file_fully_old_or_fully_new(tmp_path: Path) -> None:
    directory = tmp_path / "configs"
    directory.mkdir()
    count, lines = 40, 5_000  # 40 files of 0.5 MB
    old, new = _large_files(directory, count, lines)
    started = time.perf_counter()
    subprocess.run(_fix_command(directory), cwd=ROOT, capture_output=True, timeout=300, check=False)
    full_run = time.perf_counter() - started
    assert {path.read_bytes() for path in directory.glob("*.yaml")} == {new}, "an uninterrupted run fixes all"

    chooser = random.Random(9)
    outcomes = {"old": 0, "new": 0}
    for _ in range(6):
        old, new = _large_files(directory, count, lines)
        process = subprocess.Popen(_fix_command(directory), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(chooser.uniform(0.3, max(0.4, full_run)))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        for path in directory.glob("*.yaml"):
            data = path.read_bytes()
            assert data in (old, new), f"{path.name} is neither the old nor the new file ({len(data)} bytes)"
            outcomes["old" if data == old else "new"] += 1
        for leftover in directory.glob(".parlint-*"):
            leftover.unlink()  # a killed run may leave its temporary behind, never a half-written config
    assert outcomes["old"] and outcomes["new"], f"the kills should land mid-run: {outcomes}"


# -- fix properties -----------------------------------------------------------------------------------

BOUNDED = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate, Phase.shrink],
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _errors(diagnostics: list[Diagnostic]) -> int:
    return sum(diagnostic.severity == Severity.ERROR for diagnostic in diagnostics)


def _check_fix_properties(case: Case) -> None:
    text, _ = decode(case.data)
    if text is None:
        return
    path = str(ROOT / case.name)
    settings_ = Settings(root=str(ROOT))

    def lint(candidate: str) -> list[Diagnostic]:
        return lint_text(path, candidate, settings_, RunOptions()).diagnostics

    first = fix_text(text, lint, unsafe=True)
    second = fix_text(first.text, lint, unsafe=True)
    assert second.text == first.text, f"a second --fix changed the file\n{case.reproducer()}"
    assert _errors(lint(first.text)) <= _errors(lint(text)), f"--fix added errors\n{case.reproducer()}"


@BOUNDED
@given(engine_configs())
def test_fix_is_idempotent_and_never_adds_errors_on_generated_configs(case: Case) -> None:
    _check_fix_properties(case)


@BOUNDED
@given(fixture_mutations())
def test_fix_is_idempotent_and_never_adds_errors_on_mutated_fixtures(case: Case) -> None:
    _check_fix_properties(case)
