"""Hostile and odd input: every case gives a clear diagnostic or nothing, quickly, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from parlint.linter.config import Settings
from parlint.linter.runner import RunOptions, lint_path

HEADER = "# vllm serve --config serve.yaml\nmodel: meta-llama/Llama-3.1-70B-Instruct\n"


def _lint(path: Path, options: RunOptions | None = None) -> list[tuple[str, int, int, str]]:
    started = time.perf_counter()
    result = lint_path(str(path), Settings(root=str(path.parent)), options or RunOptions())
    assert time.perf_counter() - started < 10, "hostile input must not hang"
    assert not result.internal_error, result.diagnostics
    return [(d.code, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_binary_content(tmp_path: Path) -> None:
    found = _lint(_write(tmp_path, "weights.json", b"\x00\x01tensor_parallel\xff" * 100))
    assert [(code, message) for code, _, _, message in found] == [
        ("PL001", "binary content (NUL bytes): not a text file")
    ]


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    found = _lint(_write(tmp_path, "serve.yaml", HEADER.encode() + b"tensor-parallel-size: \xff8\n"))
    assert len(found) == 1 and found[0][0] == "PL001" and "line 3" in found[0][3]


def test_utf16_with_bom_keeps_positions(tmp_path: Path) -> None:
    text = HEADER + "tensor-parallel-size: 6\n"
    found = _lint(_write(tmp_path, "serve.yaml", text.encode("utf-16")))
    assert [(code, line, column) for code, line, column, _ in found] == [("PL202", 3, 23)]


def test_crlf_and_tabs_keep_positions(tmp_path: Path) -> None:
    text = HEADER.replace("\n", "\r\n") + "tensor-parallel-size:\t6\r\n"
    found = _lint(_write(tmp_path, "serve.yaml", text.encode()))
    assert [(code, line, column) for code, line, column, _ in found] == [("PL202", 3, 23)]


@pytest.mark.parametrize("content", [b"", b"# only a comment\n# tensor-parallel-size: 6\n", b"\n\n\n"])
def test_empty_and_comment_only_files_are_clean(tmp_path: Path, content: bytes) -> None:
    assert _lint(_write(tmp_path, "serve.yaml", content)) == []


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "huge.yaml", b"tensor-parallel-size: 8\n" + b"#" * (2 * 1024 * 1024))
    found = _lint(path, RunOptions(max_bytes=1024 * 1024))
    assert len(found) == 1 and found[0][0] == "PL001" and "over the 1 MiB limit" in found[0][3]


def test_alias_bomb(tmp_path: Path) -> None:
    lines = [HEADER, 'a0: &a0 ["tensor-parallel-size", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 12):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    found = _lint(_write(tmp_path, "bomb.yaml", "\n".join(lines).encode() + b"\n"))
    assert all(code != "PL000" for code, *_ in found)


def test_deep_nesting(tmp_path: Path) -> None:
    depth = 10_000
    text = HEADER + "tensor-parallel-size: " + "[" * depth + "]" * depth + "\n"
    found = _lint(_write(tmp_path, "deep.yaml", text.encode()))
    assert [code for code, *_ in found] == ["PL001"] and "nesting deeper" in found[0][3]


def test_python_object_tag_is_not_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = HEADER + f"tensor-parallel-size: !!python/object/apply:os.system ['touch {marker}']\n"
    found = _lint(_write(tmp_path, "evil.yaml", text.encode()))
    assert not marker.exists()
    assert [code for code, *_ in found] == ["PL001"]


def test_huge_integer_and_wrong_types_do_not_crash(tmp_path: Path) -> None:
    for value in ["9" * 5000, '"eight"', "null", "[8, 8]", "-8", "0", "8.5", "{a: 1}", "true"]:
        _lint(_write(tmp_path, "serve.yaml", (HEADER + f"tensor-parallel-size: {value}\n").encode()))
