"""Hostile file systems: symlink loops, unreadable files and directories, FIFOs, devices, vanishing paths.

Each is reported or skipped, never a hang or a traceback. Runs that could hang (FIFOs, devices) go
through the real CLI in a subprocess with a timeout. Permission cases cannot be tested as root (root
reads everything) and are skipped there with that reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from parlint.linter.config import Settings
from parlint.linter.discovery import discover
from parlint.linter.runner import RunOptions, lint_path

ROOT = Path(__file__).resolve().parents[1]
BAD = "# vllm serve --config serve.yaml\nmodel: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: 6\n"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_non_root = pytest.mark.skipif(AS_ROOT, reason="root reads files whatever their permissions")


def _cli(*args: str, timeout: float = 30) -> tuple[int, dict[str, object], str]:
    """Run parlint for real; a hang fails the test through the timeout instead of stalling the suite."""
    completed = subprocess.run(
        [sys.executable, "-m", "parlint", "--no-cache", "--format", "json", *args],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
    )
    payload: dict[str, object] = json.loads(completed.stdout) if completed.stdout.strip() else {}
    return completed.returncode, payload, completed.stderr


def _codes(payload: dict[str, object]) -> list[tuple[str, str]]:
    return [(Path(item["file"]).name, item["code"]) for item in payload["diagnostics"]]  # type: ignore[attr-defined]


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "configs"
    tree.mkdir()
    (tree / "serve.yaml").write_text(BAD)
    return tree


def test_symlink_loops_in_a_tree_are_skipped(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "self.yaml").symlink_to(tree / "self.yaml")
    (tree / "ping.yaml").symlink_to(tree / "pong.yaml")
    (tree / "pong.yaml").symlink_to(tree / "ping.yaml")
    (tree / "up").symlink_to(tree, target_is_directory=True)  # a directory cycle
    assert [Path(path).name for path in discover([str(tree)])] == ["serve.yaml"]
    code, payload, _ = _cli(str(tree))
    assert code == 1 and _codes(payload) == [("serve.yaml", "PL202")]


def test_a_symlink_loop_named_explicitly_is_reported(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    code, payload, stderr = _cli(str(loop))
    assert code == 2 and not payload
    assert stderr.startswith("parlint: error:") and "loop.yaml" in stderr and "Traceback" not in stderr


def test_a_symlinked_config_is_linted_through_its_link(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "link.yaml").symlink_to(tree / "serve.yaml")
    code, payload, _ = _cli(str(tree / "link.yaml"))
    assert code == 1 and _codes(payload) == [("link.yaml", "PL202")]


def test_fifo_in_a_linted_directory_is_skipped_without_blocking(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    os.mkfifo(tree / "pipe.yaml")
    assert [Path(path).name for path in discover([str(tree)])] == ["serve.yaml"]
    code, payload, _ = _cli(str(tree))
    assert code == 1 and _codes(payload) == [("serve.yaml", "PL202")]


def test_fifo_named_explicitly_is_reported_without_blocking(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    os.mkfifo(tree / "pipe.yaml")
    code, payload, _ = _cli(str(tree / "pipe.yaml"), str(tree / "serve.yaml"))
    assert code == 1
    diagnostics = payload["diagnostics"]
    assert _codes(payload) == [("pipe.yaml", "PL001"), ("serve.yaml", "PL202")]
    assert diagnostics[0]["message"] == "not a regular file (a FIFO or socket): not read"  # type: ignore[index]


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null on this platform")
def test_dev_null_named_explicitly_is_an_empty_clean_file() -> None:
    code, payload, _ = _cli("/dev/null")
    assert code == 0 and payload["diagnostics"] == [] and payload["summary"]["files_checked"] == 1  # type: ignore[index]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
def test_endless_device_is_read_only_up_to_the_size_limit() -> None:
    code, payload, _ = _cli("/dev/zero", "--max-file-size", "1")
    assert code == 1
    [diagnostic] = payload["diagnostics"]  # type: ignore[misc]
    assert diagnostic["message"] == "file is over the 1 MiB limit (raise it with --max-file-size)"


def test_a_file_that_vanishes_after_discovery_is_reported(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    found = [Path(path) for path in discover([str(tree)])]
    found[0].unlink()
    result = lint_path(str(found[0]), Settings(root=str(tree)), RunOptions())
    assert not result.internal_error
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("PL001", "cannot read file: No such file or directory")
    ]


def test_files_that_vanish_during_the_walk_are_skipped(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    for index in range(5):
        (tree / f"more-{index}.yaml").write_text(BAD)
    walk = discover([str(tree)])
    first = next(walk)
    for path in tree.glob("more-*.yaml"):
        path.unlink()
    assert Path(first).name == "more-0.yaml" and list(walk) == [str(tree / "serve.yaml")]


def test_a_directory_that_vanished_before_the_run_is_a_usage_error(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "serve.yaml").unlink()
    tree.rmdir()
    code, payload, stderr = _cli(str(tree))
    assert code == 2 and not payload and "no such file or directory" in stderr


@needs_non_root
def test_unreadable_file_is_reported_and_the_others_still_linted(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    locked = tree / "locked.yaml"
    locked.write_text(BAD)
    locked.chmod(0)
    try:
        code, payload, _ = _cli(str(tree))
    finally:
        locked.chmod(0o644)
    assert code == 1
    assert _codes(payload) == [("locked.yaml", "PL001"), ("serve.yaml", "PL202")]
    assert "Permission denied" in payload["diagnostics"][0]["message"]  # type: ignore[index]


@needs_non_root
def test_unreadable_directory_is_skipped_and_the_others_still_linted(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    hidden = tree / "private"
    hidden.mkdir()
    (hidden / "serve.yaml").write_text(BAD)
    hidden.chmod(0)
    try:
        code, payload, stderr = _cli(str(tree))
    finally:
        hidden.chmod(0o755)
    assert code == 1 and _codes(payload) == [("serve.yaml", "PL202")] and "Traceback" not in stderr


def test_symlink_loops_and_fifos_inside_a_git_work_tree(tmp_path: Path) -> None:
    """Inside git the file list comes from ``git ls-files``, which lists symlinks as they are."""
    tree = _tree(tmp_path)
    (tree / "self.yaml").symlink_to(tree / "self.yaml")
    (tree / "up").symlink_to(tree, target_is_directory=True)
    os.mkfifo(tree / "pipe.yaml")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=tree, check=True)
    subprocess.run([*git, "add", "serve.yaml", "self.yaml", "up"], cwd=tree, check=True)
    assert [Path(path).name for path in discover([str(tree)])] == ["serve.yaml"]
    code, payload, _ = _cli(str(tree))
    assert code == 1 and _codes(payload) == [("serve.yaml", "PL202")]


def test_the_size_limit_is_exact_and_empty_files_are_clean(tmp_path: Path) -> None:
    limit = 1024 * 1024
    at_limit, over, empty = tmp_path / "at.yaml", tmp_path / "over.yaml", tmp_path / "empty.yaml"
    at_limit.write_bytes(b"# x\n" * (limit // 4))
    over.write_bytes(b"# x\n" * (limit // 4) + b"#")
    empty.write_bytes(b"")
    options = RunOptions(max_bytes=limit)
    assert lint_path(str(at_limit), Settings(), options, snapshot=True).diagnostics == []
    assert lint_path(str(at_limit), Settings(), options, snapshot=True).snapshot.size == limit  # type: ignore[union-attr]
    [diagnostic] = lint_path(str(over), Settings(), options).diagnostics
    assert diagnostic.code == "PL001" and "over the 1 MiB limit" in diagnostic.message
    assert lint_path(str(empty), Settings(), options).diagnostics == []


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no unix sockets on this platform")
def test_a_socket_named_explicitly_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        [diagnostic] = lint_path(str(path), Settings(), RunOptions()).diagnostics
    assert (diagnostic.code, diagnostic.message) == ("PL001", "not a regular file (a FIFO or socket): not read")
