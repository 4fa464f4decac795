"""Fix machinery: exact span edits, safe/unsafe selection, atomic writes, idempotence, and the property
over every bad fixture: ``--unsafe-fixes`` leaves a copy free of the fixed codes with its comments intact,
a second run changes nothing, and ``--diff`` shows exactly the edits ``--fix`` writes."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from parlint.linter.cli import main
from parlint.linter.config import Settings
from parlint.linter.diagnostics import Applicability, Diagnostic, Edit, Fix, Range, Severity
from parlint.linter.fixes import (
    EditConflict,
    apply_edits,
    choose_fixes,
    fix_text,
    insert_sibling_after,
    unified_diff,
    write_atomic,
)
from parlint.linter.plan import Sourced
from parlint.linter.runner import RunOptions, lint_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bad"
COMMENT = re.compile(r"#.*$", re.MULTILINE)


def _edit(line: int, column: int, end_line: int, end_column: int, text: str) -> Edit:
    return Edit(Range.of(line, column, end_line, end_column), text)


def _diagnostic(fix: Fix | None, line: int = 1, code: str = "PL202") -> Diagnostic:
    return Diagnostic(code, "x", Severity.ERROR, "m", "f.yaml", Range.of(line, 1, line, 2), "-", fix=fix)


def test_edits_apply_in_any_order_and_keep_everything_else() -> None:
    text = "a: 1  # one\nb: 22\n"
    edits = [_edit(2, 4, 2, 6, "8"), _edit(1, 4, 1, 5, "6")]
    assert apply_edits(text, edits) == "a: 6  # one\nb: 8\n"


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(EditConflict):
        apply_edits("abcdef\n", [_edit(1, 1, 1, 4, "x"), _edit(1, 3, 1, 5, "y")])
    with pytest.raises(EditConflict):
        apply_edits("abc\n", [_edit(1, 2, 1, 2, "x"), _edit(1, 2, 1, 2, "y")])


def test_sibling_insertion_keeps_indentation_and_trailing_comment() -> None:
    value = Sourced(8, "f.yaml", Range.of(2, 27, 2, 28), "tensor-parallel-size")
    text = "args:\n    tensor-parallel-size: 8  # keep\n    max-model-len: 4096\n"
    edit = insert_sibling_after(value, "enable-expert-parallel", "true")
    assert apply_edits(text, [edit]) == ("args:\n    tensor-parallel-size: 8  # keep\n"
                                         "    enable-expert-parallel: true\n    max-model-len: 4096\n")


def test_insertion_after_a_last_line_without_newline() -> None:
    value = Sourced(8, "f.yaml", Range.of(1, 23, 1, 24), "tensor-parallel-size")
    edit = insert_sibling_after(value, "enable-expert-parallel", "true")
    assert apply_edits("tensor-parallel-size: 8", [edit]) == "tensor-parallel-size: 8\nenable-expert-parallel: true\n"


def test_crlf_lines_keep_their_endings() -> None:
    assert apply_edits("a: 1\r\nb: 2\r\n", [_edit(2, 4, 2, 5, "3")]) == "a: 1\r\nb: 3\r\n"


def test_only_safe_fixes_without_unsafe_and_never_display_only() -> None:
    safe = _diagnostic(Fix(Applicability.SAFE, "s", (_edit(1, 1, 1, 2, "x"),)), 1)
    unsafe = _diagnostic(Fix(Applicability.UNSAFE, "u", (_edit(2, 1, 2, 2, "y"),)), 2)
    shown = _diagnostic(Fix(Applicability.DISPLAY_ONLY, "d", (_edit(3, 1, 3, 2, "z"),)), 3)
    text = "a\nb\nc\n"
    assert choose_fixes(text, [safe, unsafe, shown], unsafe=False) == [safe]
    assert choose_fixes(text, [safe, unsafe, shown], unsafe=True) == [safe, unsafe]


def test_a_fix_overlapping_an_earlier_one_waits() -> None:
    first = _diagnostic(Fix(Applicability.SAFE, "a", (_edit(1, 1, 1, 3, "x"),)), 1, "PL202")
    second = _diagnostic(Fix(Applicability.SAFE, "b", (_edit(1, 2, 1, 4, "y"),)), 1, "PL301")
    assert choose_fixes("abcd\n", [second, first], unsafe=False) == [first]


def test_fix_text_stops_when_nothing_changes() -> None:
    calls = []

    def lint(text: str) -> list[Diagnostic]:
        calls.append(text)
        if "6" in text:
            return [_diagnostic(Fix(Applicability.SAFE, "tp", (_edit(1, 5, 1, 6, "8"),)))]
        return []

    outcome = fix_text("tp: 6\n", lint, unsafe=False)
    assert outcome.text == "tp: 8\n" and len(outcome.applied) == 1 and outcome.remaining == []
    again = fix_text(outcome.text, lint, unsafe=False)
    assert not again.changed


def test_unparsable_text_is_never_fixed() -> None:
    def lint(text: str) -> list[Diagnostic]:
        broken = _diagnostic(None, code="PL001")
        return [broken, _diagnostic(Fix(Applicability.SAFE, "x", (_edit(1, 1, 1, 2, "y"),)))]

    outcome = fix_text("a: [\n", lint, unsafe=True)
    assert not outcome.changed and outcome.unparsable


def test_write_atomic_keeps_mode_and_bom(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    target.write_bytes(b"\xef\xbb\xbftp: 6\n")
    os.chmod(target, 0o640)
    write_atomic(str(target), "tp: 8\n", bom=True)
    assert target.read_bytes() == b"\xef\xbb\xbftp: 8\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [item.name for item in tmp_path.iterdir()] == ["serve.yaml"]


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        code = main([*argv, "--no-cache"])
    return code, out.getvalue()


def _lint(path: Path) -> list[Diagnostic]:
    return lint_text(str(path), path.read_text("utf-8"), Settings(), RunOptions()).diagnostics


LAUNCH_SUFFIXES = (".sh", ".md", ".py")


def _bad_fixtures() -> list[Path]:
    """Every bad fixture: engine configs and launch files (scripts, run-books, Dockerfiles, manifests, Python)."""
    return sorted(path for path in FIXTURES.rglob("*") if path.is_file()
                  and (path.suffix in (".yaml", ".json", *LAUNCH_SUFFIXES) or path.name.startswith("Dockerfile")))


@pytest.mark.parametrize("fixture", _bad_fixtures(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_fix_on_every_bad_fixture(fixture: Path, tmp_path: Path) -> None:
    target = tmp_path / fixture.name
    shutil.copyfile(fixture, target)
    before = target.read_text("utf-8")
    found = _lint(target)
    fixable = {item.code for item in found if item.fix is not None and item.fix.edits
               and item.fix.applicability is not Applicability.DISPLAY_ONLY}
    code, diff = _cli("check", "--diff", "--unsafe-fixes", str(target))
    assert target.read_text("utf-8") == before  # --diff writes nothing
    assert (code == 1) == bool(diff)
    _cli("check", "--unsafe-fixes", str(target))
    after = target.read_text("utf-8")
    assert diff == unified_diff(str(target), before, after)
    if not fixable:
        assert after == before
        return
    assert after != before
    left = _lint(target)
    # Every fixed finding is gone: no fixable finding is left and each fixed code reports less than before.
    assert not [item for item in left if item.fix is not None and item.fix.applicability is not
                Applicability.DISPLAY_ONLY]
    for code in fixable:
        assert sum(item.code == code for item in left) < sum(item.code == code for item in found)
    assert COMMENT.findall(before) == COMMENT.findall(after)
    _cli("check", "--unsafe-fixes", str(target))
    assert target.read_text("utf-8") == after  # a second run is a no-op


def test_safe_fix_renames_an_sglang_underscore_key(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    target.write_text("# sglang\nmodel-path: meta-llama/Llama-3.1-8B\ntp_size: 2  # two GPUs\n", "utf-8")
    code, out = _cli("check", "--fix", str(target))
    assert target.read_text("utf-8") == "# sglang\nmodel-path: meta-llama/Llama-3.1-8B\ntp-size: 2  # two GPUs\n"
    assert "fixed 1 problem" in out and code == 0


def test_unsafe_fix_needs_unsafe_fixes(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    text = "model: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: 6\n"
    target.write_text(text, "utf-8")
    code, _ = _cli("check", "--fix", str(target))
    assert code == 1 and target.read_text("utf-8") == text
    _cli("check", "--unsafe-fixes", str(target))
    assert target.read_text("utf-8") == "model: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: 8\n"


def test_expert_parallel_inserted_beside_tp(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    target.write_text("model: deepseek-ai/DeepSeek-V3\ntensor_parallel_size: 8   # node\nmax_model_len: 8192\n",
                      "utf-8")
    _cli("check", "--unsafe-fixes", str(target))
    assert target.read_text("utf-8") == ("model: deepseek-ai/DeepSeek-V3\ntensor_parallel_size: 8   # node\n"
                                         "enable_expert_parallel: true\nmax_model_len: 8192\n")


def test_broken_file_is_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / "serve.yaml"
    text = "model: meta-llama/Llama-3.1-70B-Instruct\ntensor-parallel-size: [6\n"
    target.write_text(text, "utf-8")
    _cli("check", "--unsafe-fixes", str(target))
    assert target.read_text("utf-8") == text


GENERATED_MODELS = ("meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen2.5-32B", "mistralai/Mistral-7B-v0.3",
                    "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-30B-A3B", "google/gemma-2-27b")


@pytest.mark.parametrize("model", GENERATED_MODELS)
@pytest.mark.parametrize("tp", [3, 5, 6, 7])
def test_generated_bad_tp_is_fixed_for_good(model: str, tp: int) -> None:
    """Generated cases: a TP no head count divides, on dense and MoE models, in both key spellings."""
    for key in ("tensor-parallel-size", "tensor_parallel_size"):
        text = f"# generated\nmodel: {model}   # the model\n{key}: {tp}   # TP\nmax-model-len: 8192\n"

        def lint(candidate: str) -> list[Diagnostic]:
            return lint_text("serve.yaml", candidate, Settings(), RunOptions()).diagnostics

        before = lint(text)
        outcome = fix_text(text, lint, unsafe=True)
        assert COMMENT.findall(outcome.text) == COMMENT.findall(text)
        fixed_codes = {item.code for item in outcome.applied}
        assert "PL202" in {item.code for item in before} and "PL202" in fixed_codes
        assert not fixed_codes & {item.code for item in outcome.remaining}
        assert not fix_text(outcome.text, lint, unsafe=True).changed
