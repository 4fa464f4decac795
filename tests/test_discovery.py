"""File discovery: recursion, .gitignore inside git, skipped directories, explicit files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from parlint.linter.discovery import discover


def _touch(path: Path, text: str = "a: 1\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tree(root: Path) -> None:
    _touch(root / "deploy" / "serve.yaml")
    _touch(root / "deploy" / "ds.json")
    _touch(root / "deploy" / "notes.txt")
    _touch(root / "node_modules" / "pkg" / "package.json")
    _touch(root / ".venv" / "lib" / "x.yaml")
    _touch(root / "env2" / "pyvenv.cfg", "home = /usr\n")
    _touch(root / "env2" / "lib" / "y.yaml")
    _touch(root / "build-output" / "rendered.yaml")


def _names(root: Path) -> list[str]:
    return [Path(path).relative_to(root).as_posix() for path in discover([str(root)])]


def test_walk_outside_git_skips_vendored_and_virtualenv_directories(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _names(tmp_path) == ["build-output/rendered.yaml", "deploy/ds.json", "deploy/serve.yaml"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_inside_git_the_gitignore_is_honoured(tmp_path: Path) -> None:
    _tree(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("build-output/\n")
    assert _names(tmp_path) == ["deploy/ds.json", "deploy/serve.yaml"]


def test_explicit_files_are_linted_as_given_and_missing_ones_raise(tmp_path: Path) -> None:
    _touch(tmp_path / "x.txt")
    assert list(discover([str(tmp_path / "x.txt")])) == [str(tmp_path / "x.txt")]
    with pytest.raises(FileNotFoundError):
        list(discover([str(tmp_path / "absent.yaml")]))


def test_each_file_once(tmp_path: Path) -> None:
    _touch(tmp_path / "a.yaml")
    assert list(discover([str(tmp_path), str(tmp_path / "a.yaml")])) == [str(tmp_path / "a.yaml")]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_is_asked_only_inside_a_work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parlint.linter.discovery import _in_git_work_tree

    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    (tmp_path / "plain" / "deep").mkdir(parents=True)
    (tmp_path / "repo" / "deep").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", check=True)
    assert not _in_git_work_tree(str(tmp_path / "plain" / "deep"))
    assert _in_git_work_tree(str(tmp_path / "repo" / "deep"))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "repo" / ".git"))
    assert _in_git_work_tree(str(tmp_path / "plain"))
