"""The four output formats: exact text, schema-valid JSON and SARIF, escaped GitHub annotations."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, validators
from jsonschema.protocols import Validator
from referencing import Registry

import parlint
from parlint.linter.diagnostics import (
    FILE_START,
    Applicability,
    Diagnostic,
    Edit,
    Fix,
    Range,
    Related,
    Severity,
    Suggestion,
)
from parlint.linter.reporters import FORMATS, RuleInfo, Summary, render

REPO = Path(__file__).parents[1]
OUTPUT_SCHEMA = REPO / "parlint" / "schemas" / "output.schema.json"
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"

RULES = (
    RuleInfo(
        code="PL001",
        name="invalid-file",
        section="-",
        severity="error",
        summary="The file cannot be read.",
        doc="The file cannot be read: a syntax error,\na duplicate key.\n\nWhy: an engine refuses it.",
        fixable=False,
    ),
    RuleInfo(
        code="PL101",
        name="gpu-count",
        section="1",
        severity="error",
        summary="The GPUs requested differ from what the structural mapping needs.",
        doc="The GPUs requested differ from what the structural mapping needs.",
        fixable=False,
    ),
    RuleInfo(
        code="PL202",
        name="tp-within-node",
        section="2.2",
        severity="warning",
        summary="A tensor-parallel group spans more than one node.",
        doc="A tensor-parallel group spans more than one node.\n\nWhy: every layer all-reduces across it.",
        fixable=True,
    ),
)

INVALID_FILE = Diagnostic(
    code="PL001",
    name="invalid-file",
    severity=Severity.ERROR,
    message="duplicate key 'tensor-parallel-size' (first on line 3); PyYAML keeps the last value",
    file="configs/broken.yaml",
    range=Range.of(4, 1, 4, 21),
    section="-",
)

GPU_COUNT = Diagnostic(
    code="PL101",
    name="gpu-count",
    severity=Severity.ERROR,
    message="the mapping needs 8 GPUs (2 replicas × tensor-parallel-size 4) but the pod requests 4",
    file="deploy/llama-70b.yaml",
    range=Range.of(21, 31, 21, 32),
    section="1",
    related=[Related("deploy/llama-70b.yaml", Range.of(9, 9, 9, 34), "data-parallel-size 2: whole replicas")],
)

TP_ACROSS_NODES = Diagnostic(
    code="PL202",
    name="tp-within-node",
    severity=Severity.WARNING,
    message="tensor-parallel-size 16 spans 2 nodes of 8 GPUs: every layer all-reduces across nodes",
    file="deploy/llama-70b-tp16.yaml",
    range=Range.of(5, 25, 5, 27),
    section="2.2",
    related=[Related("deploy/llama-70b-tp16.yaml", Range.of(3, 16, 3, 17), "nodes have 8 GPUs")],
    fix=Fix(
        Applicability.UNSAFE,
        "set tensor-parallel-size to 8 and pipeline-parallel-size to 2",
        (Edit(Range.of(5, 25, 5, 27), "8"), Edit(Range.of(6, 27, 6, 28), "2")),
    ),
    suggestion=Suggestion("PP 2 × TP 8: each stage's tensor-parallel group stays inside one node",
                          {"pp": 2, "tp": 8, "gpus": 16}),
)

UNEVEN_STAGES = Diagnostic(
    code="PL205",
    name="uneven-pipeline-stages",
    severity=Severity.INFO,
    message="80 layers over pipeline-parallel-size 3 make stages of 27, 27 and 26 layers",
    file="deploy/llama-70b-pp3.yaml",
    range=Range.of(6, 27, 6, 28),
    section="2.3",
)

ALL = [INVALID_FILE, GPU_COUNT, TP_ACROSS_NODES, UNEVEN_STAGES]


def _no_network(uri: str) -> Any:
    raise AssertionError(f"schema validation tried to retrieve {uri}")


OFFLINE: Registry[Any] = Registry(retrieve=_no_network)  # type: ignore[call-arg]  # attrs init


def _output_validator() -> Draft202012Validator:
    schema = json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=OFFLINE)


def _sarif_validator() -> Validator:
    """The validator for the dialect the schema declares (this copy says draft-04; OASIS also publishes a
    draft-07 one); its references are all internal, and ``OFFLINE`` turns any retrieval into a failure."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"official SARIF 2.1.0 schema not found at {SARIF_SCHEMA} (shared reference tree absent)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return validators.validator_for(schema)(schema, registry=OFFLINE)


# --- text -------------------------------------------------------------------------------------


def test_text_lines_are_exact() -> None:
    output = render("text", [INVALID_FILE, TP_ACROSS_NODES], Summary(files_checked=3), RULES)
    assert output.splitlines() == [
        "configs/broken.yaml:4:1: PL001 [error] duplicate key 'tensor-parallel-size' (first on line 3); "
        "PyYAML keeps the last value",
        "deploy/llama-70b-tp16.yaml:5:25: PL202 [warning] tensor-parallel-size 16 spans 2 nodes of 8 GPUs: "
        "every layer all-reduces across nodes",
        "  related: deploy/llama-70b-tp16.yaml:3:16: nodes have 8 GPUs",
        "  suggestion: PP 2 × TP 8: each stage's tensor-parallel group stays inside one node",
        "  fix (unsafe): set tensor-parallel-size to 8 and pipeline-parallel-size to 2",
        "1 error, 1 warning in 2 files (3 files checked)",
    ]
    assert output.endswith("\n")


@pytest.mark.parametrize(
    ("diagnostics", "files_checked", "summary_line"),
    [
        ([], 0, "0 errors, 0 warnings in 0 files (0 files checked)"),
        ([], 1, "0 errors, 0 warnings in 0 files (1 file checked)"),
        ([INVALID_FILE], 1, "1 error, 0 warnings in 1 file (1 file checked)"),
        ([INVALID_FILE, GPU_COUNT, TP_ACROSS_NODES], 5, "2 errors, 1 warning in 3 files (5 files checked)"),
        ([GPU_COUNT, GPU_COUNT], 2, "2 errors, 0 warnings in 1 file (2 files checked)"),
        ([UNEVEN_STAGES], 1, "0 errors, 0 warnings, 1 info in 1 file (1 file checked)"),
        ([*ALL, UNEVEN_STAGES], 9, "2 errors, 1 warning, 2 info in 4 files (9 files checked)"),
    ],
)
def test_text_summary_counts_and_plurals(
    diagnostics: list[Diagnostic], files_checked: int, summary_line: str
) -> None:
    output = render("text", diagnostics, Summary(files_checked), RULES)
    assert output.splitlines()[-1] == summary_line


def test_text_quiet_prints_diagnostics_only() -> None:
    loud = render("text", ALL, Summary(4), RULES).splitlines()
    quiet = render("text", ALL, Summary(4), RULES, quiet=True).splitlines()
    assert quiet == loud[:-1]
    assert render("text", [], Summary(4), RULES, quiet=True) == ""


def test_colour_only_when_asked() -> None:
    plain = render("text", ALL, Summary(4), RULES)
    assert "\x1b" not in plain
    coloured = render("text", ALL, Summary(4), RULES, color=True)
    assert "\x1b[31m" in coloured and "\x1b[33m" in coloured and "\x1b[36m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_text_keeps_one_head_line_per_diagnostic_whatever_the_message() -> None:
    hostile = Diagnostic(
        code="PL001",
        name="invalid-file",
        severity=Severity.ERROR,
        message="unexpected value 'a\x1b[2Jb'\nsecond line\r",
        file="x.yaml",
        range=FILE_START,
        section="-",
    )
    lines = render("text", [hostile], Summary(1), RULES, quiet=True).splitlines()
    assert lines == ["x.yaml:1:1: PL001 [error] unexpected value 'a\\x1b[2Jb'", "    second line\\x0d"]


def test_rendering_keeps_the_given_order() -> None:
    reversed_order = list(reversed(ALL))
    heads = [line for line in render("text", reversed_order, Summary(4), RULES, quiet=True).splitlines()
             if not line.startswith(" ")]
    assert [head.split(" ")[1] for head in heads] == [d.code for d in reversed_order]
    json_codes = [d["code"] for d in json.loads(render("json", reversed_order, Summary(4), RULES))["diagnostics"]]
    assert json_codes == [d.code for d in reversed_order]


# --- json -------------------------------------------------------------------------------------


def test_output_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("diagnostics", [[], [INVALID_FILE], ALL], ids=["empty", "one", "all"])
def test_json_output_matches_schema(diagnostics: list[Diagnostic]) -> None:
    output = json.loads(render("json", diagnostics, Summary(7), RULES))
    _output_validator().validate(output)
    assert output["version"] == 1
    assert output["tool"] == {"name": "parlint", "version": parlint.__version__}
    assert output["diagnostics"] == [diagnostic.to_json() for diagnostic in diagnostics]


def test_json_summary_is_computed_from_the_diagnostics() -> None:
    output = json.loads(render("json", ALL, Summary(files_checked=10), RULES))
    assert output["summary"] == {
        "errors": 2,
        "warnings": 1,
        "infos": 1,
        "files_with_diagnostics": 4,
        "files_checked": 10,
    }


def test_json_diagnostic_with_fix_and_suggestion() -> None:
    (diagnostic,) = json.loads(render("json", [TP_ACROSS_NODES], Summary(1), RULES))["diagnostics"]
    assert diagnostic["range"] == {"start": {"line": 5, "column": 25}, "end": {"line": 5, "column": 27}}
    assert diagnostic["fix"]["applicability"] == "unsafe"
    assert diagnostic["fix"]["edits"][1] == {
        "range": {"start": {"line": 6, "column": 27}, "end": {"line": 6, "column": 28}},
        "new_text": "2",
    }
    assert diagnostic["suggestion"]["summary"].startswith("PP 2 × TP 8")
    assert diagnostic["suggestion"]["mapping"] == {"pp": 2, "tp": 8, "gpus": 16}


def _mutated(change: str) -> dict[str, Any]:
    output: dict[str, Any] = json.loads(render("json", [TP_ACROSS_NODES], Summary(1), RULES))
    diagnostic = output["diagnostics"][0]
    if change == "extra top-level key":
        output["schema_version"] = 1
    elif change == "unknown severity":
        diagnostic["severity"] = "fatal"
    elif change == "column 0":
        diagnostic["range"]["start"]["column"] = 0
    elif change == "unknown applicability":
        diagnostic["fix"]["applicability"] = "maybe"
    elif change == "missing suggestion key":
        del diagnostic["suggestion"]
    elif change == "extra key in related":
        diagnostic["related"][0]["line"] = 3
    elif change == "version 2":
        output["version"] = 2
    elif change == "negative count":
        output["summary"]["errors"] = -1
    return output


@pytest.mark.parametrize(
    "change",
    ["extra top-level key", "unknown severity", "column 0", "unknown applicability", "missing suggestion key",
     "extra key in related", "version 2", "negative count"],
)
def test_output_schema_rejects_drift(change: str) -> None:
    assert not _output_validator().is_valid(_mutated(change))


def test_json_is_ascii_safe() -> None:
    output = render("json", [TP_ACROSS_NODES], Summary(1), RULES)
    assert output.isascii()
    assert "×" in json.loads(output)["diagnostics"][0]["suggestion"]["summary"]


# --- sarif ------------------------------------------------------------------------------------


@pytest.mark.parametrize("diagnostics", [[], [INVALID_FILE], ALL], ids=["empty", "one", "all"])
def test_sarif_matches_the_official_schema(diagnostics: list[Diagnostic]) -> None:
    validator = _sarif_validator()
    log = json.loads(render("sarif", diagnostics, Summary(4), RULES))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


def test_sarif_schema_check_can_fail() -> None:
    validator = _sarif_validator()
    log = json.loads(render("sarif", [TP_ACROSS_NODES], Summary(1), RULES))
    del log["runs"][0]["results"][0]["message"]
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert len(list(validator.iter_errors(log))) >= 2


def test_sarif_rules_and_results() -> None:
    log = json.loads(render("sarif", ALL, Summary(4), RULES))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "parlint" and driver["version"] == parlint.__version__
    assert run["columnKind"] == "unicodeCodePoints"
    # The rules that ran, in order, then a descriptor for the code the rule list did not know.
    assert [rule["id"] for rule in driver["rules"]] == ["PL001", "PL101", "PL202", "PL205"]
    invalid_file, _, tp_rule, unknown = driver["rules"]
    assert invalid_file["name"] == "invalid-file"
    assert invalid_file["shortDescription"] == {"text": "The file cannot be read."}
    assert invalid_file["fullDescription"] == {"text": "The file cannot be read: a syntax error, a duplicate key."}
    assert invalid_file["help"]["text"] == RULES[0].doc
    assert tp_rule["defaultConfiguration"] == {"level": "warning"}
    assert tp_rule["properties"] == {"section": "2.2", "fixable": True}
    assert unknown["defaultConfiguration"] == {"level": "note"}
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert [result["level"] for result in run["results"]] == ["error", "error", "warning", "note"]


def test_sarif_result_locations_and_fix() -> None:
    (result,) = json.loads(render("sarif", [TP_ACROSS_NODES], Summary(1), RULES))["runs"][0]["results"]
    assert result["message"]["text"] == (
        "tensor-parallel-size 16 spans 2 nodes of 8 GPUs: every layer all-reduces across nodes\n"
        "Suggestion: PP 2 × TP 8: each stage's tensor-parallel group stays inside one node"
    )
    assert result["properties"]["suggestion"]["mapping"] == {"pp": 2, "tp": 8, "gpus": 16}
    artifact = {"uri": "deploy/llama-70b-tp16.yaml", "uriBaseId": "%SRCROOT%"}
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": artifact,
                "region": {"startLine": 5, "startColumn": 25, "endLine": 5, "endColumn": 27},
            }
        }
    ]
    (related,) = result["relatedLocations"]
    assert related["message"] == {"text": "nodes have 8 GPUs"}
    assert related["physicalLocation"]["region"]["startLine"] == 3
    (fix,) = result["fixes"]
    assert fix["description"] == {"text": "set tensor-parallel-size to 8 and pipeline-parallel-size to 2"}
    assert fix["properties"] == {"applicability": "unsafe"}
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == artifact
    assert change["replacements"][1] == {
        "deletedRegion": {"startLine": 6, "startColumn": 27, "endLine": 6, "endColumn": 28},
        "insertedContent": {"text": "2"},
    }


def test_sarif_uris_are_encoded_and_fixes_without_edits_are_left_out() -> None:
    advice_only = Diagnostic(
        code="PL202",
        name="tp-within-node",
        severity=Severity.WARNING,
        message="tensor-parallel-size 16 spans 2 nodes",
        file="deploy/my configs/serve#1.yaml",
        range=Range.of(2, 1, 2, 5),
        section="2.2",
        fix=Fix(Applicability.DISPLAY_ONLY, "use pipeline parallelism across nodes", ()),
    )
    absolute = Diagnostic(**{**vars(INVALID_FILE), "file": "/srv/configs/serve.yaml"})
    results = json.loads(render("sarif", [advice_only, absolute], Summary(2), RULES))["runs"][0]["results"]
    first_artifact = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first_artifact == {"uri": "deploy/my%20configs/serve%231.yaml", "uriBaseId": "%SRCROOT%"}
    assert "fixes" not in results[0]
    assert results[1]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///srv/configs/serve.yaml"
    }


class _Metadata:
    def __init__(self, project_urls: list[str]) -> None:
        self.project_urls = project_urls

    def get_all(self, name: str) -> list[str] | None:
        return self.project_urls if name == "Project-URL" else None


def test_sarif_information_uri_comes_from_the_installed_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    def installed(name: str) -> _Metadata:
        assert name == "parlint"
        return _Metadata(["Homepage, https://example.org/parlint", "Issues, https://example.org/parlint/issues"])

    def not_installed(name: str) -> _Metadata:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "metadata", installed)
    driver = json.loads(render("sarif", [], Summary(0), RULES))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/parlint"
    monkeypatch.setattr(importlib.metadata, "metadata", not_installed)
    driver = json.loads(render("sarif", [], Summary(0), RULES))["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver


# --- github -----------------------------------------------------------------------------------


def test_github_annotations_are_exact() -> None:
    output = render("github", [GPU_COUNT, UNEVEN_STAGES], Summary(2), RULES)
    assert output.splitlines() == [
        "::error file=deploy/llama-70b.yaml,line=21,col=31,endLine=21,endColumn=32,title=PL101 gpu-count"
        "::the mapping needs 8 GPUs (2 replicas × tensor-parallel-size 4) but the pod requests 4"
        "%0Arelated: deploy/llama-70b.yaml:9:9: data-parallel-size 2: whole replicas",
        "::notice file=deploy/llama-70b-pp3.yaml,line=6,col=27,endLine=6,endColumn=28,"
        "title=PL205 uneven-pipeline-stages::80 layers over pipeline-parallel-size 3 make stages of 27, 27 and 26 "
        "layers",
    ]


def test_github_warning_carries_suggestion_and_fix() -> None:
    (line,) = render("github", [TP_ACROSS_NODES], Summary(1), RULES).splitlines()
    assert line.startswith("::warning file=deploy/llama-70b-tp16.yaml,line=5,col=25,endLine=5,endColumn=27,")
    assert line.endswith(
        "%0Asuggestion: PP 2 × TP 8: each stage's tensor-parallel group stays inside one node"
        "%0Afix (unsafe): set tensor-parallel-size to 8 and pipeline-parallel-size to 2"
    )


def test_github_escapes_data_and_properties() -> None:
    awkward = Diagnostic(
        code="PL001",
        name="invalid-file",
        severity=Severity.ERROR,
        message="100% of\r\nthe file: unreadable, sorry",
        file="C:/odd,dir/a%b.yaml",
        range=Range.of(3, 2, 5, 1),
        section="-",
    )
    (line,) = render("github", [awkward], Summary(1), RULES).splitlines()
    assert line == (
        "::error file=C%3A/odd%2Cdir/a%25b.yaml,line=3,endLine=5,title=PL001 invalid-file"
        "::100%25 of%0D%0Athe file: unreadable, sorry"
    )


def test_github_prints_nothing_for_a_clean_run() -> None:
    assert render("github", [], Summary(3), RULES) == ""


# --- API --------------------------------------------------------------------------------------


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown output format 'xml'; choose one of: text, json, sarif, github"):
        render("xml", ALL, Summary(1), RULES)


def test_every_format_renders() -> None:
    for fmt in FORMATS:
        assert render(fmt, ALL, Summary(4), RULES).endswith("\n")


def test_only_the_chosen_format_is_imported() -> None:
    script = (
        "import sys\n"
        "from parlint.linter.reporters import Summary, render\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('parlint.linter.reporters.'))\n"
        "print(loaded())\n"
        "for fmt in ('json', 'sarif'):\n"
        "    render(fmt, [], Summary(0), [])\n"
        "print(loaded())\n"
        "print('jsonschema' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert completed.stdout.splitlines() == [
        "[]",
        "['parlint.linter.reporters.json_report', 'parlint.linter.reporters.sarif_report']",
        "False",
    ]
