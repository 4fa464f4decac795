"""The ``parlint`` command line.

``parlint [check] PATH ...`` lints; ``parlint rules`` / ``parlint rule CODE`` document the rules;
``parlint model ID`` prints a resolved model structure; ``parlint show FILE`` prints the structural
mapping; ``parlint plan MODEL --gpus N`` plans one and prints it with a ready config. Exit codes: 0
nothing at or above ``--fail-on``, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from parlint import __version__

if TYPE_CHECKING:
    from parlint.linter.config import Settings
    from parlint.linter.diagnostics import Diagnostic
    from parlint.linter.reporters import RuleInfo
    from parlint.linter.runner import RunOptions

FORMATS = ("text", "json", "sarif", "github")
SUBCOMMANDS = ("check", "rules", "rule", "model", "show", "plan")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


def _codes(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _size(value: str) -> int:
    try:
        megabytes = float(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a size in MiB, got {value!r}") from error
    if megabytes <= 0:
        raise argparse.ArgumentTypeError("the size limit must be positive")
    return int(megabytes * 1024 * 1024)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from error
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _input_error(error: Exception) -> int:
    """Report a bad configuration, a missing path or a usage mistake in one line; exit code 2."""
    from parlint.linter.config import ConfigError

    if isinstance(error, FileNotFoundError):
        message = f"error: no such file or directory: {error.args[0]}"
    elif isinstance(error, ConfigError):
        message = f"configuration error: {error}"
    else:
        message = f"error: {error}"
    print(f"parlint: {message}", file=sys.stderr)
    return EXIT_ERROR


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parlint",
        description="Lint LLM inference parallelism configs against the model's structure.",
        epilog="Other commands: parlint rules | rule CODE | model ID_OR_PATH | show FILE.",
    )
    parser.add_argument("paths", nargs="*", default=None, help="files or directories (default: .); - for stdin")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--select", action="append", metavar="CODES", help="only these codes or prefixes")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="skip these codes or prefixes")
    parser.add_argument("--config", metavar="FILE", help="use this configuration instead of discovering one")
    parser.add_argument("--stdin-filename", metavar="NAME", help="name of the buffer read from stdin (path -)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--fail-on", choices=("error", "warning"), default="error",
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print diagnostics only, no summary")
    parser.add_argument("--no-color", action="store_true", help="never colour the text output")
    parser.add_argument("--model-config", metavar="PATH", help="config.json or model directory for the model")
    parser.add_argument("--gpu", metavar="NAME", help="GPU type where a file does not say (e.g. H100-80GB)")
    parser.add_argument("--gpus-per-node", type=_positive, metavar="N", help="GPUs per node where a file does not say")
    parser.add_argument("--objective", choices=("latency", "throughput"), help="deployment objective")
    parser.add_argument("--max-file-size", type=_size, metavar="MIB", help="skip larger files with PL001 (default 20)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write .parlint_cache/ (also: PARLINT_NO_CACHE=1)")
    parser.add_argument("-j", "--jobs", type=_positive, metavar="N", help="worker processes (default: CPUs, max 8)")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="also apply unsafe fixes (they change degrees or GPU counts); implies --fix")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff, write nothing")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"parlint {__version__}")
    return parser


def _use_color(args: argparse.Namespace) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _rule_infos() -> list[RuleInfo]:
    from parlint.linter.reporters import RuleInfo
    from parlint.rules import all_rules

    return [
        RuleInfo(rule.code, rule.name, rule.section, rule.severity.value, rule.summary, rule.doc, rule.fixable)
        for rule in all_rules()
    ]


def run_check(argv: Sequence[str]) -> int:
    from parlint.linter.config import ConfigError, Overrides, SettingsFinder
    from parlint.linter.diagnostics import Severity
    from parlint.linter.discovery import discover
    from parlint.linter.parallel import lint_many
    from parlint.linter.reporters import Summary, render
    from parlint.linter.runner import DEFAULT_MAX_BYTES, FileResult, RunOptions, lint_text

    args = _check_parser().parse_args(argv)
    overrides = Overrides(
        select=_codes(args.select),
        ignore=_codes(args.ignore) or (),
        gpu=args.gpu,
        gpus_per_node=args.gpus_per_node,
        objective=args.objective,
    )
    options = RunOptions(args.model_config, args.max_file_size or DEFAULT_MAX_BYTES, args.debug)
    paths = args.paths or ["."]
    results: list[FileResult] = []
    try:
        finder = SettingsFinder(overrides, args.config)
        if paths == ["-"]:
            name = args.stdin_filename or "stdin.yaml"
            text = sys.stdin.buffer.read().decode("utf-8", "replace")
            results.append(lint_text(name, text, finder.for_path(name), options))
        elif "-" in paths:
            raise UsageError("'-' (standard input) cannot be combined with other paths")
        else:
            jobs = []
            for path in discover(paths):
                settings = finder.for_path(path)
                if not settings.excluded(path):
                    jobs.append((path, settings))
            if args.fix or args.unsafe_fixes or args.diff:
                return _run_fixes(jobs, options, args)
            no_cache = args.no_cache or os.environ.get("PARLINT_NO_CACHE", "") not in ("", "0")
            cache_root = None if no_cache else Path.cwd()
            results.extend(lint_many(jobs, options, cache_root=cache_root, workers=args.jobs))
    except (ConfigError, FileNotFoundError, UsageError) as error:
        return _input_error(error)
    diagnostics = [diagnostic for result in results for diagnostic in result.diagnostics]
    output = render(
        args.format,
        diagnostics,
        Summary(files_checked=len(results)),
        _rule_infos() if args.format == "sarif" else (),  # only SARIF describes the rules
        color=_use_color(args),
        quiet=args.quiet,
    )
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if any(result.internal_error for result in results):
        return EXIT_ERROR
    threshold = Severity(args.fail_on).rank
    failing = any(diagnostic.severity.rank >= threshold for diagnostic in diagnostics)
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_OK


def _run_fixes(jobs: list[tuple[str, Settings]], options: RunOptions, args: argparse.Namespace) -> int:
    """``--fix`` / ``--unsafe-fixes`` / ``--diff``: fix file by file, then report what is left."""
    from parlint.linter.diagnostics import Severity
    from parlint.linter.fixes import fix_file, unified_diff
    from parlint.linter.reporters import Summary, render
    from parlint.linter.runner import lint_text

    diffs, remaining, fixed = [], [], 0
    for path, settings in jobs:
        def lint(text: str, path: str = path, settings: Settings = settings) -> list[Diagnostic]:
            return lint_text(path, text, settings, options).diagnostics

        result = fix_file(path, lint, unsafe=args.unsafe_fixes, write=not args.diff)
        if result.refused:
            print(f"parlint: {path}: {result.refused}", file=sys.stderr)
        remaining.extend(result.diagnostics)
        if result.outcome is not None and result.outcome.changed:
            fixed += len(result.outcome.applied)
            diffs.append(unified_diff(path, result.outcome.original, result.outcome.text))
    if args.diff:
        sys.stdout.write("".join(diffs))
        return EXIT_FINDINGS if diffs and not args.exit_zero else EXIT_OK
    output = render(args.format, remaining, Summary(files_checked=len(jobs)), _rule_infos(), color=_use_color(args),
                    quiet=args.quiet)
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if fixed and args.format == "text" and not args.quiet:
        print(f"fixed {fixed} problem{'s' if fixed != 1 else ''} in {len(diffs)} file{'s' if len(diffs) != 1 else ''}")
    threshold = Severity(args.fail_on).rank
    failing = any(diagnostic.severity.rank >= threshold for diagnostic in remaining)
    return EXIT_FINDINGS if failing and not args.exit_zero else EXIT_OK


def _format_only(prog: str, description: str, *, formats: Sequence[str] = ("text", "json")) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"parlint {prog}", description=description)
    parser.add_argument("--format", choices=formats, default="text")
    return parser


def run_rules(argv: Sequence[str]) -> int:
    import json

    from parlint.rules import all_rules

    args = _format_only("rules", "List every rule.").parse_args(argv)
    rules = all_rules()
    if args.format == "json":
        payload = [
            {"code": r.code, "name": r.name, "section": r.section, "severity": r.severity.value,
             "fixable": r.fixable, "summary": r.summary}
            for r in rules
        ]
        print(json.dumps(payload, indent=2))
    else:
        for r in rules:
            fixable = "fixable" if r.fixable else ""
            print(f"{r.code}  {r.name:<26} {r.section:<8} {r.severity.value:<8} {fixable}".rstrip())
    return EXIT_OK


def run_rule(argv: Sequence[str]) -> int:
    import json

    from parlint.rules import rule_by_code

    parser = _format_only("rule", "Print a rule's documentation.")
    parser.add_argument("code")
    args = parser.parse_args(argv)
    rule = rule_by_code(args.code)
    if rule is None:
        print(f"parlint: error: unknown rule code {args.code!r} (see 'parlint rules')", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        print(json.dumps({"code": rule.code, "name": rule.name, "section": rule.section,
                          "severity": rule.severity.value, "fixable": rule.fixable, "doc": rule.doc.strip()},
                         indent=2))
    else:
        print(f"{rule.code} {rule.name} (seed section {rule.section}, default {rule.severity.value})\n")
        print(rule.doc.strip())
    return EXIT_OK


def run_model(argv: Sequence[str]) -> int:
    from parlint.linter.models.render import render_model
    from parlint.linter.models.resolve import resolve_model

    parser = _format_only("model", "Print a model's resolved structure.")
    parser.add_argument("model", metavar="ID_OR_PATH")
    parser.add_argument("--model-config", metavar="PATH", help="config.json or model directory to use")
    args = parser.parse_args(argv)
    resolution = resolve_model(args.model, config_dir=os.getcwd(), model_config=args.model_config)
    print(render_model(resolution, args.format))
    return EXIT_OK if resolution.structure is not None else EXIT_FINDINGS


def run_show(argv: Sequence[str]) -> int:
    from parlint.linter.config import ConfigError, Overrides, SettingsFinder
    from parlint.linter.runner import RunOptions, show_deployments
    from parlint.linter.show import render_show

    parser = _format_only("show", "Print each deployment's structural mapping.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--model-config", metavar="PATH")
    parser.add_argument("--config", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        finder = SettingsFinder(Overrides(), args.config)
        deployments = []
        for file in args.files:
            if not os.path.isfile(file):
                raise FileNotFoundError(file)
            deployments.extend(show_deployments(file, finder.for_path(file), RunOptions(args.model_config)))
    except (ConfigError, FileNotFoundError) as error:
        return _input_error(error)
    print(render_show(deployments, args.format))
    return EXIT_OK


def run_plan(argv: Sequence[str]) -> int:
    from parlint.linter.emit import plan_command
    from parlint.linter.planner import ENGINES, OBJECTIVES

    parser = argparse.ArgumentParser(
        prog="parlint plan", description="Plan a structural mapping and print it with a ready-to-use config.")
    parser.add_argument("model", metavar="MODEL", help="model id or path (config.json or directory)")
    parser.add_argument("--gpus", type=_positive, required=True, metavar="N", help="GPU budget")
    parser.add_argument("--gpu", default="H100-80GB", metavar="NAME", help="GPU type (default: H100-80GB)")
    parser.add_argument("--gpus-per-node", type=_positive, default=8, metavar="N", help="GPUs per node (default: 8)")
    parser.add_argument("--engine", choices=ENGINES, default="vllm", help="config dialect (default: vllm)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="throughput", help="default: throughput")
    parser.add_argument("--max-model-len", type=_positive, metavar="TOKENS",
                        help="context to plan for (default: the model's, at most 32768)")
    parser.add_argument("--format", choices=("text", "yaml", "json"), default="text",
                        help="text: mapping, decision log and config; yaml/json: only the config")
    parser.add_argument("--model-config", metavar="PATH", help="config.json or model directory for the model")
    args = parser.parse_args(argv)
    output, problem = plan_command(args.model, gpus=args.gpus, gpu_name=args.gpu, gpus_per_node=args.gpus_per_node,
                                   engine=args.engine, objective=args.objective, max_model_len=args.max_model_len,
                                   fmt=args.format, model_config=args.model_config, config_dir=os.getcwd())
    if problem:
        print(f"parlint plan: {problem}", file=sys.stderr)
        return EXIT_FINDINGS
    sys.stdout.write(output)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Messages contain characters such as "×"; a non-UTF-8 console must not turn them into a crash.
        sys.stdout.reconfigure(errors="replace")
    command = arguments[0] if arguments and arguments[0] in SUBCOMMANDS else "check"
    rest = arguments[1:] if arguments and arguments[0] in SUBCOMMANDS else arguments
    handlers = {"check": run_check, "rules": run_rules, "rule": run_rule, "model": run_model, "show": run_show,
                "plan": run_plan}
    try:
        return handlers[command](rest)
    except SystemExit as exit_:  # argparse: usage errors exit 2, --help/--version exit 0
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`parlint . | head`): stop quietly with the status a SIGPIPE'd tool has. Point
        # stdout at /dev/null so the interpreter's final flush cannot raise the same error again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except Exception as error:
        if "--debug" in arguments:
            traceback.print_exc()
        else:
            print(f"parlint: internal error: {type(error).__name__}: {error}. This is a bug in parlint "
                  f"{__version__}: please report it (rerun with --debug for the traceback).", file=sys.stderr)
        return EXIT_ERROR
