"""Engine constructors in Python files, read with :mod:`ast` (positions from its nodes).

Recognised calls and the keyword names they take (frameworks.md):

- vLLM ``LLM(...)``, ``EngineArgs(...)``, ``AsyncEngineArgs(...)`` (imported from ``vllm`` or called as
  ``vllm.LLM``): ``EngineArgs`` field names (§1.1);
- TensorRT-LLM ``LLM(...)`` when ``LLM`` comes from ``tensorrt_llm``: ``BaseLlmArgs`` fields (§4.1);
- SGLang ``sglang.Engine(...)``: ``ServerArgs`` field names, the underscore form of the CLI flags (§2.1);
- DeepSpeed-MII ``mii.serve(...)``/``mii.pipeline(...)``: ``ModelConfig`` fields, model as first argument or
  ``model_config={...}`` (§3.1);
- Ray Serve ``LLMConfig(model_loading_config={"model_id": ...}, engine_kwargs={...})`` (from ``ray.serve.llm``):
  vLLM fields, with ``accelerator_type`` naming the GPU.

Only literal values count. A non-literal value of a parallel degree, or ``**kwargs``, makes the call's
mapping unknown (no plan); other non-literal values are skipped.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from parlint.linter.diagnostics import Position, Range
from parlint.linter.launch.build import STRUCTURAL
from parlint.linter.launch.facts import Launch
from parlint.linter.plan import DeclaredPlan, Sourced

VLLM_CALLS = frozenset({"LLM", "EngineArgs", "AsyncEngineArgs"})
_UNKNOWN = object()


class _Positions:
    """ast columns are UTF-8 byte offsets; parlint columns are characters."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines

    def column(self, line: int, offset: int) -> int:
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1

    def range(self, node: ast.AST) -> Range:
        line: int = getattr(node, "lineno", 1)
        end_line: int = getattr(node, "end_lineno", None) or line
        start = Position(line, self.column(line, getattr(node, "col_offset", 0)))
        end_offset = getattr(node, "end_col_offset", None)
        end = Position(end_line, self.column(end_line, end_offset)) if end_offset is not None else start
        return Range(start, end)


def from_python(file: str, text: str) -> Launch:
    launch = Launch()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return launch  # not ours to judge: a broken Python file fails elsewhere
    positions = _Positions(text.splitlines())
    nodes = list(ast.walk(tree))
    imports = [node for node in nodes if isinstance(node, ast.ImportFrom)]
    imported = {package: _imported_from(imports, package)
                for package in ("vllm", "tensorrt_llm", "sglang", "mii", "ray")}
    # Ray Serve runs LLMConfig on vLLM unless the app is built with Ray's SGLang builder
    # (``ray.llm.examples.sglang...build_sglang_openai_app``), whose engine_kwargs are SGLang's ServerArgs.
    modules = [node.module or "" for node in imports]
    ray_engine = "sglang" if any(module.startswith("ray.") and "sglang" in module for module in modules) else "vllm"
    for node in nodes:
        if isinstance(node, ast.Call):
            plan = _plan(file, positions, node, imported, ray_engine)
            if plan is not None:
                launch.plans.append(plan)
    return launch


def _imported_from(imports: list[ast.ImportFrom], package: str) -> dict[str, str]:
    """Local name -> imported name of ``from <package>... import name [as local]``."""
    names: dict[str, str] = {}
    for node in imports:
        if (node.module or "").split(".")[0] == package:
            names.update((alias.asname or alias.name, alias.name) for alias in node.names)
    return names


def _callee(node: ast.Call) -> tuple[str, str]:
    """(object, name) of ``obj.name(...)`` or ("", name) of ``name(...)``."""
    function = node.func
    if isinstance(function, ast.Attribute):
        owner = function.value
        return (owner.id if isinstance(owner, ast.Name) else ""), function.attr
    if isinstance(function, ast.Name):
        return "", function.id
    return "", ""


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def _plan(file: str, positions: _Positions, node: ast.Call, imported: dict[str, dict[str, str]],
          ray_engine: str) -> DeclaredPlan | None:
    owner, name = _callee(node)
    if owner == "" and any(name in names for names in imported.values()):
        # ``from sglang import Engine``, ``from tensorrt_llm import LLM as TrtLLM``, ``from mii import serve``
        owner = next(package for package, names in imported.items() if name in names)
        name = imported[owner][name]
    # Only calls whose name comes from the engine's package: ``LLM`` alone is a common class name.
    if owner == "tensorrt_llm" and name == "LLM":
        engine = "trtllm"
    elif owner == "vllm" and name in VLLM_CALLS:
        engine = "vllm"
    elif owner in ("sglang", "sgl") and name == "Engine":
        engine = "sglang"
    elif owner == "mii" and name in ("serve", "pipeline"):
        engine = "mii"
    elif owner == "ray" and name == "LLMConfig":
        engine = ray_engine
    else:
        return None
    if any(keyword.arg is None for keyword in node.keywords):
        return None  # ``**kwargs`` may hold any setting
    plan = DeclaredPlan(engine, file, positions.range(node), dialect="python-call")
    if engine == "vllm" and name == "LLM":  # the offline entry point: one process, see derive's vllm-offline-dp
        plan.settings["offline_llm"] = Sourced(True, file, positions.range(node.func), name)
    keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
    if name == "LLMConfig":
        return _ray_llm_config(plan, positions, keywords)
    if node.args and engine in ("vllm", "trtllm", "mii"):
        _set_model(plan, positions, node.args[0])
    for key, value in keywords.items():
        if engine == "mii" and key == "model_config" and _items(value) is not None:
            if not _read_dict(plan, positions, value):
                return None
        elif not _read(plan, positions, key, value):
            return None
    return plan


def _ray_llm_config(plan: DeclaredPlan, positions: _Positions, keywords: dict[str, ast.expr]) -> DeclaredPlan | None:
    loading = dict(_items(keywords["model_loading_config"]) or []) if "model_loading_config" in keywords else {}
    # ModelLoadingConfig: model_id is the name clients use; model_source, when given, is where the weights
    # (and so the structure) come from.
    model = loading.get("model_source") or loading.get("model_id")
    if model is not None:
        _set_model(plan, positions, model)
    accelerator = keywords.get("accelerator_type")
    if isinstance(accelerator, ast.Constant) and isinstance(accelerator.value, str):
        plan.gpu = Sourced(accelerator.value, plan.file, positions.range(accelerator), "accelerator_type")
    engine_kwargs = keywords.get("engine_kwargs")
    if engine_kwargs is not None and _items(engine_kwargs) is not None and not _read_dict(plan, positions,
                                                                                          engine_kwargs):
        return None
    return plan


def _items(node: ast.AST) -> list[tuple[str | None, ast.expr]] | None:
    """The entries of a ``{"key": value}`` literal or a ``dict(key=value)`` call (``None`` key: a ``**`` spread);
    None for anything else."""
    if isinstance(node, ast.Dict):
        return [(key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else
                 (None if key is None else ""), value) for key, value in zip(node.keys, node.values, strict=True)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return [(keyword.arg, keyword.value) for keyword in node.keywords]
    return None


def _set_model(plan: DeclaredPlan, positions: _Positions, node: ast.AST) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        plan.model = Sourced(node.value, plan.file, positions.range(node), "model")


def _read_dict(plan: DeclaredPlan, positions: _Positions, node: ast.AST) -> bool:
    for key, value in _items(node) or []:
        if key is None:
            return False  # ``{**other}`` / ``dict(**other)`` may hold any setting
        if key and not _read(plan, positions, key, value):
            return False
    return True


def _read(plan: DeclaredPlan, positions: _Positions, key: str, node: ast.AST) -> bool:
    """Record one keyword; False when a parallel degree is not a literal."""
    from parlint.linter.adapters.common import store
    from parlint.linter.adapters.flags import ENGINES

    table = ENGINES[plan.engine]
    flag = table.by_key.get(key.replace("_", "-") if plan.engine == "sglang" else key)
    if flag is None:
        return True
    value = _literal(node)
    if value is _UNKNOWN:
        return flag.setting not in STRUCTURAL
    store(plan, flag, value, key, flag.setting, None, positions.range(node))
    return True
