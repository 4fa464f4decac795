"""The command line end to end: real files in, positioned diagnostics and exit codes out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from parlint.linter.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
BAD_TP = FIXTURES / "bad" / "vllm" / "llama70b-tp6.yaml"
GOOD_TP = FIXTURES / "good" / "vllm" / "llama70b-tp8.yaml"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bad_file_prints_position_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(BAD_TP), "--no-color")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{BAD_TP}:4:23: PL202 [error] 64 attention heads are not divisible by tensor parallel")
    assert "valid sizes up to 8: 1, 2, 4, 8" in first
    assert out.rstrip().endswith("1 error, 0 warnings in 1 file (1 file checked)")


def test_good_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(GOOD_TP))
    assert code == 0
    assert "0 errors" in out


def test_good_fixture_directories_exit_0_and_bad_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    good = [str(FIXTURES / name) for name in ("good", "engines") if (FIXTURES / name).is_dir()]
    assert _run(capsys, *good, "-q")[0] == 0
    assert _run(capsys, str(FIXTURES), "-q")[0] == 1


def test_json_output_validates_against_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(FIXTURES / "bad"), "--format", "json")
    assert code == 1
    payload = json.loads(out)
    schema = json.loads((ROOT / "parlint" / "schemas" / "output.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(payload)
    codes = {diagnostic["code"] for diagnostic in payload["diagnostics"]}
    assert {"PL001", "PL202"} <= codes


def test_select_ignore_exit_zero_and_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, str(BAD_TP), "--ignore", "PL2")[0] == 0
    assert _run(capsys, str(BAD_TP), "--select", "PL1")[0] == 0
    assert _run(capsys, str(BAD_TP), "--exit-zero")[0] == 0


def test_severity_override_and_fail_on_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "parlint.yaml"
    config.write_text("severity: {PL202: warning}\n")
    code, out, _ = _run(capsys, str(BAD_TP), "--config", str(config))
    assert code == 0 and "PL202 [warning]" in out
    assert _run(capsys, str(BAD_TP), "--config", str(config), "--fail-on", "warning")[0] == 1


def test_inline_suppression_and_unused_suppression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "serve.yaml"
    text = BAD_TP.read_text().replace("tensor-parallel-size: 6", "tensor-parallel-size: 6  # parlint: disable=PL202")
    target.write_text(text + "max-num-seqs: 64  # parlint: disable=PL202 -- stale\n")
    code, out, _ = _run(capsys, str(target), "-q")
    assert code == 0
    expected = f"{target}:8:19: PL003 [warning] unused suppression: PL202 matched no diagnostic here (disable)"
    assert out.strip() == expected


def test_stdin_with_filename(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD_TP.read_bytes())))
    code, out, _ = _run(capsys, "-", "--stdin-filename", "deploy/serve.yaml", "--format", "json")
    assert code == 1
    diagnostic = json.loads(out)["diagnostics"][0]
    assert diagnostic["file"] == "deploy/serve.yaml"
    assert diagnostic["range"]["start"] == {"line": 4, "column": 23}


def test_usage_and_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "--format", "xml", str(GOOD_TP))[0] == 2
    code, _, err = _run(capsys, str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in err
    bad_config = tmp_path / ".parlint.yaml"
    bad_config.write_text("objective: fastest\n")
    code, _, err = _run(capsys, str(GOOD_TP), "--config", str(bad_config))
    assert code == 2 and ".parlint.yaml:1:1" in err


def test_unrelated_yaml_is_skipped_silently(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yaml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n")
    (tmp_path / "broken-unrelated.yaml").write_text("a: [1,\n")
    code, out, _ = _run(capsys, str(tmp_path), "-q")
    assert code == 0 and out == ""


def test_rules_and_rule_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "rules", "--format", "json")
    assert code == 0
    listed = {rule["code"]: rule for rule in json.loads(out)}
    assert listed["PL202"]["name"] == "tensor-parallel-scope" and listed["PL202"]["section"] == "2.2, 7"
    code, out, _ = _run(capsys, "rule", "pl202")
    assert code == 0 and "What:" in out and "Fix:" in out
    assert _run(capsys, "rule", "PL999")[0] == 2


def test_internal_error_is_one_diagnostic_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import parlint.linter.adapters as adapters

    def explode(loaded: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(adapters, "adapt", explode)
    code, out, err = _run(capsys, str(BAD_TP), str(GOOD_TP), "-q")
    assert code == 2
    lines = out.strip().splitlines()
    assert len(lines) == 2 and all("PL000 [error] internal error in parlint" in line for line in lines)
    assert "Traceback" not in err


def test_console_script_version() -> None:
    result = subprocess.run([sys.executable, "-m", "parlint", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("parlint ")


def test_readme_rule_table_and_docs_are_fresh() -> None:
    from parlint.linter.ruledocs import readme_with_example, readme_with_table, rules_markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "README rule table is stale: run python -m parlint.linter.ruledocs"
    assert readme == readme_with_example(readme, ROOT), "README example is stale: run python -m parlint.linter.ruledocs"
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), "docs/rules.md is stale"


def test_a_closed_output_pipe_stops_quietly(tmp_path: Path) -> None:
    # `parlint . | head -1` where head has already gone when the report is written.
    text = (ROOT / "fixtures" / "bad" / "vllm" / "mixtral-8x7b-tp3.yaml").read_text(encoding="utf-8")
    for index in range(20):
        (tmp_path / f"serve{index:03d}.yaml").write_text(text, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "parlint", "--no-cache", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert (process.wait(timeout=60), stderr) == (141, "")
