"""Build ``parlint/data/engine_options.json``: every command-line option of vLLM and SGLang, by name.

parlint's flag tables describe the options that shape the structural mapping; this list holds all the
others, so that a real option is never reported as a typo of a listed one (``--enable-lora`` is not
``--enable-dbo``) and argparse prefix abbreviations expand, or are ambiguous, as in the engine.

The names are read statically (``ast``) from the engines' released sources, without importing them (that
would need torch and a GPU stack):

- vLLM: ``add_argument`` calls of ``vllm/engine/arg_utils.py`` (``EngineArgs.add_cli_args``) and
  ``vllm/entrypoints/cli/serve.py``, plus one ``--field-name`` per field of ``BaseFrontendArgs`` /
  ``FrontendArgs`` (``vllm/entrypoints/common/cli_args.py``, added in a loop);
- SGLang: ``add_argument`` calls under ``sglang/srt``, plus every ``A[T, "help"]`` / ``A[T, Arg(...)]``
  field (``arg_groups/arg_utils.add_cli_args_from_dataclass``: ``--field-name`` or ``Arg(cli_name=...)``,
  with ``Arg(aliases=[...])``, skipping ``Arg(no_cli=True)``).

Usage (the versions frameworks.md describes)::

    pip download vllm==0.33.0 sglang==0.5.23 --no-deps -d wheels
    (cd wheels && for w in *.whl; do unzip -q -o "$w" -d src; done)
    python scripts/build_engine_options.py wheels/src
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "parlint" / "data" / "engine_options.json"
OPTION = re.compile(r"--?[A-Za-z][\w.-]*")
VERSIONS = {"vllm": "0.33.0", "sglang": "0.5.23"}


def _trees(paths: Iterable[Path]) -> Iterable[ast.AST]:
    for path in paths:
        yield ast.parse(path.read_text(encoding="utf-8"), str(path))


def _added(tree: ast.AST) -> set[str]:
    """Option strings passed to ``add_argument``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            found.update(arg.value for arg in node.args if isinstance(arg, ast.Constant)
                         and isinstance(arg.value, str) and OPTION.fullmatch(arg.value))
    return found


def vllm_options(source: Path) -> set[str]:
    package = source / "vllm"
    found: set[str] = set()
    for tree in _trees([package / "engine" / "arg_utils.py", package / "entrypoints" / "cli" / "serve.py",
                        package / "entrypoints" / "common" / "cli_args.py"]):
        found |= _added(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in ("BaseFrontendArgs", "FrontendArgs"):
                found.update("--" + item.target.id.replace("_", "-") for item in node.body
                             if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                             and not item.target.id.startswith("_"))
    return found


def sglang_options(source: Path) -> set[str]:
    found: set[str] = set()
    for tree in _trees(sorted((source / "sglang" / "srt").rglob("*.py"))):
        found |= _added(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                found |= _annotated_field(node.target.id, node.annotation)
    return found


def _annotated_field(name: str, annotation: ast.expr) -> set[str]:
    if not (isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name)
            and annotation.value.id == "A" and isinstance(annotation.slice, ast.Tuple)
            and len(annotation.slice.elts) >= 2):
        return set()
    meta = annotation.slice.elts[1]
    cli = "--" + name.replace("_", "-")
    if isinstance(meta, ast.Constant) and isinstance(meta.value, str):
        return {cli}
    if not (isinstance(meta, ast.Call) and isinstance(meta.func, ast.Name) and meta.func.id == "Arg"):
        return set()
    keywords = {keyword.arg: keyword.value for keyword in meta.keywords}
    no_cli = keywords.get("no_cli")
    if isinstance(no_cli, ast.Constant) and no_cli.value is True:
        return set()
    named = keywords.get("cli_name")
    names = {named.value if isinstance(named, ast.Constant) and isinstance(named.value, str) else cli}
    aliases = keywords.get("aliases")
    if isinstance(aliases, (ast.List, ast.Tuple)):
        names.update(item.value for item in aliases.elts
                     if isinstance(item, ast.Constant) and isinstance(item.value, str))
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    data = {
        "vllm": {"version": VERSIONS["vllm"], "options": sorted(vllm_options(source))},
        "sglang": {"version": VERSIONS["sglang"], "options": sorted(sglang_options(source))},
    }
    OUTPUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(REPO)}: {len(data['vllm']['options'])} vLLM and "
          f"{len(data['sglang']['options'])} SGLang options")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
