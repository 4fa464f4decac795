"""Launch commands where real deployments keep them: scripts, run-books, Dockerfiles, manifests, Python.

Public API (the runner calls these):

- :func:`file_kind` ``(path, text) -> str``: ``"yaml"``, ``"json"``, ``"shell"``, ``"markdown"``,
  ``"dockerfile"``, ``"python"``, ``"helm-template"`` (a chart's ``templates/`` file: Go template text,
  nothing to read) or ``""`` (not lintable);
- :func:`looks_relevant` ``(text) -> bool``: a cheap text pre-check; files that name no engine cost
  nothing more;
- :func:`extract_text` ``(path, text, kind) -> Launch`` for the non-YAML kinds;
- :func:`extract_documents` ``(loaded) -> Launch`` for YAML documents (Kubernetes kinds incl.
  LeaderWorkerSet, KServe, Ray and Dynamo, docker-compose, production-stack Helm values, SkyPilot, GitHub Actions).

A :class:`~parlint.linter.launch.facts.Launch` holds one :class:`~parlint.linter.plan.DeclaredPlan` per
engine start (argument lists read with the engine's flag table, :mod:`parlint.linter.adapters.flags`),
with the GPU supply and GPU type found around it, plus the broken line continuations (PL902) and the
pods' shared-memory facts (PL904). How unknown (unresolved) values are handled: :mod:`.build`.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Discovery asks only for file_kind(); the extraction machinery loads when a file is extracted.
    from parlint.linter.launch.facts import Launch, PodFacts
    from parlint.linter.loader import LoadedFile

__all__ = ["Launch", "PodFacts", "extract_documents", "extract_text", "file_kind", "looks_relevant"]

SHELL_SUFFIXES = frozenset({".sh", ".bash"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# Dockerfile.vllm, Dockerfile-vllm, Dockerfile_cuda12, vllm.Dockerfile, serving-dockerfile ...
_DOCKERFILE_PREFIXES = tuple(f"{name}{separator}" for name in ("dockerfile", "containerfile") for separator in ".-_")
_DOCKERFILE_SUFFIXES = tuple(f"{separator}{name}" for name in ("dockerfile", "containerfile") for separator in ".-_")
_SHEBANG = re.compile(r"^#!\s*\S*(?:/|env\s+)(?:ba|z|da)?sh\b")
_ENGINE_MARKERS = re.compile(
    r"vllm|sglang|trtllm|tensorrt|deepspeed|mii\b|modelSpec|LeaderWorkerSet|InferenceService|accelerators"
)


def __getattr__(name: str) -> Any:
    if name in ("Launch", "PodFacts"):
        from parlint.linter.launch import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def file_kind(path: str, text: str | None = None) -> str:
    """What kind of file ``path`` is, from its name (and its shebang when the name says nothing)."""
    name = os.path.basename(path)
    lower = name.lower()
    suffix = os.path.splitext(lower)[1]
    if suffix in (".yaml", ".yml", ".tpl") and _in_helm_templates(path):
        return "helm-template"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix in SHELL_SUFFIXES:
        return "shell"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix == ".py":
        return "python"
    if lower in ("dockerfile", "containerfile") or lower.startswith(_DOCKERFILE_PREFIXES) \
            or lower.endswith(_DOCKERFILE_SUFFIXES):
        return "dockerfile"
    if text is not None and not suffix and _SHEBANG.match(text):
        return "shell"
    return ""


def _in_helm_templates(path: str) -> bool:
    """A chart's ``templates/`` file is Go template text, not YAML: only its rendered output could be linted."""
    return _helm_templates_directory(os.path.dirname(os.path.abspath(path)))


@lru_cache(maxsize=4096)
def _helm_templates_directory(directory: str) -> bool:
    """Asked once per directory (discovery and the runner ask for every file)."""
    if "templates" not in directory:
        return False
    for _ in range(4):  # templates/ or a few levels below it
        parent = os.path.dirname(directory)
        if os.path.basename(directory) == "templates":
            return os.path.isfile(os.path.join(parent, "Chart.yaml"))
        if parent == directory:
            break
        directory = parent
    return False


def looks_relevant(text: str) -> bool:
    """True when the text names an engine or a GPU-serving resource; everything else is skipped."""
    return _ENGINE_MARKERS.search(text) is not None


def extract_text(path: str, text: str, kind: str) -> Launch:
    """The launch facts of a shell script, Markdown file, Dockerfile or Python file."""
    from parlint.linter.launch import scripts
    from parlint.linter.launch.facts import Launch
    from parlint.linter.launch.fragments import normalized

    text = normalized(text)
    if kind == "shell":
        return scripts.from_shell(path, text)
    if kind == "markdown":
        return scripts.from_markdown(path, text)
    if kind == "dockerfile":
        return scripts.from_dockerfile(path, text)
    if kind == "python":
        from parlint.linter.launch.python_calls import from_python

        return from_python(path, text)
    return Launch()


def extract_documents(loaded: LoadedFile) -> Launch:
    """The launch facts of every YAML document that is a manifest parlint knows."""
    from parlint.linter.launch.facts import Launch
    from parlint.linter.launch.fragments import text_lines
    from parlint.linter.launch.manifests import from_document

    launch = Launch()
    if not looks_relevant(loaded.text):
        return launch
    lines = text_lines(loaded.text)
    for document in loaded.documents:
        launch.extend(from_document(loaded.path, lines, document))
    return launch
