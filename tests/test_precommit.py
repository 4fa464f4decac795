"""The real ``pre-commit try-repo`` against this checkout: fails on a bad config, passes on a good one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "fixtures" / "bad" / "vllm" / "llama70b-tp6.yaml"
GOOD = ROOT / "fixtures" / "good" / "vllm" / "llama70b-tp8.yaml"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hook_fails_on_bad_and_passes_on_good(tmp_path: Path) -> None:
    repo = tmp_path / "deployments"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    shutil.copy(BAD, repo / "serve-bad.yaml")
    shutil.copy(GOOD, repo / "serve-good.yaml")
    (repo / "ci.yaml").write_text("on: [push]\njobs: {}\n")
    _git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "parlint", "--files", *files]
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False)

    bad = try_repo("serve-bad.yaml", "ci.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "serve-bad.yaml:4:23: PL202 [error]" in bad.stdout
    good = try_repo("serve-good.yaml", "ci.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
