"""Find engine launch commands in positioned shell words.

A launch site (a shell command, a container's ``command``/``args``, a Dockerfile ``CMD``) is a list of
:class:`~parlint.linter.shell.Word`. Wrappers are skipped by scanning for the engine program itself, so
``srun ... vllm serve``, ``exec nohup python3 -m sglang.launch_server`` and ``docker run ... image``
all work. Recognised programs:

- vLLM: ``vllm serve`` and ``python -m vllm.entrypoints.openai.api_server`` (frameworks.md §1.1,
  ``vllm/entrypoints/common/cli_args.py``);
- SGLang: ``python -m sglang.launch_server``, ``sglang serve`` (§2.2) and the router
  ``python -m sglang_router.launch_server``, which takes the server's arguments plus ``--router-*`` ones;
- TensorRT-LLM: ``trtllm-serve [serve] MODEL`` (§4.1, ``tensorrt_llm/commands/serve.py``);
- DeepSpeed-MII: ``python -m mii.entrypoints.openai_api_server`` / ``mii.entrypoints.api_server`` (§3.1).

``bash -c '<script>'`` (and ``sh``) is split again, keeping positions. ``mpirun -n N`` gives the task
count, which TensorRT-LLM requires to equal its world size (§4.2). ``docker run IMAGE args`` of an
engine image without a command runs the image's entrypoint (:data:`IMAGE_ENTRYPOINTS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from parlint.linter.diagnostics import Range
from parlint.linter.shell import Script, Word

PYTHON_MODULES: dict[str, str] = {
    "vllm.entrypoints.openai.api_server": "vllm",
    "sglang.launch_server": "sglang",
    "sglang_router.launch_server": "sglang",
    "mii.entrypoints.openai_api_server": "mii",
    "mii.entrypoints.api_server": "mii",
    # NVIDIA Dynamo's workers parse the engine's own arguments (AsyncEngineArgs.add_cli_args,
    # ServerArgs.add_cli_args in ai-dynamo/dynamo components/src/dynamo/{vllm,sglang}/args.py).
    "dynamo.vllm": "vllm",
    "dynamo.sglang": "sglang",
}
SUBCOMMAND_PROGRAMS: dict[str, str] = {"vllm": "vllm", "sglang": "sglang"}
"""Programs whose ``serve`` sub-command starts the server."""

IMAGE_ENTRYPOINTS: dict[str, str] = {
    # The official image's ENTRYPOINT is the vLLM server (vllm-project/vllm ``docker/Dockerfile``, target
    # vllm-openai; the documented usage is ``docker run vllm/vllm-openai --model ...``).
    "vllm/vllm-openai": "vllm",
}
"""Engine images whose entrypoint is the server (image -> engine), so a container that sets only
``args`` runs it with them. Other engine images (``lmsysorg/sglang``, TensorRT-LLM, Dynamo) set no
server entrypoint, so their containers name the program in ``command``."""

_PYTHON = re.compile(r"^python(?:[0-9](?:\.[0-9]+)?)?$")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_MPI = frozenset({"mpirun", "mpiexec"})
_DOCKER_VALUELESS = frozenset(
    {"-d", "--detach", "-i", "--interactive", "-t", "--tty", "-it", "-ti", "--rm", "--privileged", "--init",
     "-P", "--publish-all", "--read-only", "--sig-proxy", "-q", "--quiet", "--no-healthcheck", "--oom-kill-disable"}
)
ROUTER_PREFIX = "--router-"


@dataclass
class EngineCall:
    """One engine start: the engine, the words of its argument list, and what its wrappers said."""

    engine: str
    program: Range
    args: list[Word]
    assignments: dict[str, Word] = field(default_factory=dict)
    tasks: Word | None = None  # ``mpirun -n N``
    docker_gpus: Word | None = None  # ``docker run --gpus N``


ScriptOf = Callable[[Word], Script | None]
"""Splits the script a ``bash -c`` word holds, with positions in the file (None when it cannot)."""


def basename(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1]


def image_engine(image: str) -> str | None:
    """The engine an image reference's entrypoint starts (registry, tag and digest ignored)."""
    name = image.split("@", 1)[0]
    head, colon, tail = name.rpartition(":")
    if colon and "/" not in tail:
        name = head
    for known, engine in IMAGE_ENTRYPOINTS.items():
        if name == known or name.endswith("/" + known):
            return engine
    return None


def find_calls(words: Sequence[Word], script_of: ScriptOf, assignments: dict[str, Word] | None = None,
               image: str | None = None) -> list[EngineCall]:
    """Engine calls in one command's words. ``image``: the container image, when the words are its args."""
    calls: list[EngineCall] = []
    if image is not None and words and _engine_at(words, 0) is None and not _starts_program(words):
        engine = image_engine(image)
        if engine is not None:
            calls.append(EngineCall(engine, words[0].range, list(words), dict(assignments or {})))
            return calls
    tasks: Word | None = None
    index = 0
    while index < len(words):
        word = words[index]
        name = basename(word.text)
        if name in _MPI:
            tasks = _mpi_tasks(words, index + 1) or tasks
        command_string = _shell_command_string(words, index + 1) if name in _SHELLS else None
        if command_string is not None:
            script = script_of(command_string)
            if script is not None:
                for command in script.commands:
                    inner = {**(assignments or {}), **command.environment, **command.assignments}
                    calls.extend(find_calls(command.words, script_of, inner))
            return calls
        if name in ("docker", "podman") and index + 1 < len(words) and words[index + 1].text == "run":
            calls.extend(_docker_run(words, index + 2, script_of, assignments))
            return calls
        found = _engine_at(words, index)
        if found is not None:
            engine, first_arg = found
            args = list(words[first_arg:])
            if any(item.text == "sglang_router.launch_server" for item in words[index:first_arg]):
                args = _without_router_flags(args)
            calls.append(EngineCall(engine, Range(word.range.start, words[first_arg - 1].range.end), args,
                                    dict(assignments or {}), tasks))
            return calls
        index += 1
    return calls


def _shell_command_string(words: Sequence[Word], start: int) -> Word | None:
    """The script of ``bash -c SCRIPT``: with ``-c`` among the options (``-c``, ``-lc``, ``-ec``, also before
    ``--`` as in KubeRay's ``["/bin/bash", "-lc", "--"]`` + ``args``), the first word after the options."""
    position, reads_string = start, False
    while position < len(words) and words[position].text[:1] in ("-", "+") and words[position].text != "-":
        option = words[position].text
        position += 1
        if option == "--":
            break
        if option in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):  # options that take an argument
            position += 1
        elif not option.startswith("--") and re.fullmatch(r"[-+][A-Za-z]*", option):
            reads_string = reads_string or "c" in option
    return words[position] if reads_string and position < len(words) else None


def _starts_program(words: Sequence[Word]) -> bool:
    """Args whose first word is a program, not a flag or a model (``bash``, ``python3`` ...)."""
    first = basename(words[0].text)
    return first in _SHELLS or bool(_PYTHON.match(first)) or first in _MPI


def _engine_at(words: Sequence[Word], index: int) -> tuple[str, int] | None:
    """(engine, index of the first argument) when an engine program starts at ``index``."""
    name = basename(words[index].text)
    following = words[index + 1].text if index + 1 < len(words) else ""
    if name in SUBCOMMAND_PROGRAMS and following == "serve":
        return SUBCOMMAND_PROGRAMS[name], index + 2
    if name == "trtllm-serve":
        return "trtllm", index + 2 if following == "serve" else index + 1
    if _PYTHON.match(name):
        position = index + 1
        while position < len(words) and words[position].text.startswith("-") and words[position].text != "-m":
            position += 1
        if position + 1 < len(words) and words[position].text == "-m":
            engine = PYTHON_MODULES.get(words[position + 1].text)
            if engine is not None:
                return engine, position + 2
    return None


def _mpi_tasks(words: Sequence[Word], start: int) -> Word | None:
    for index in range(start, len(words) - 1):
        if words[index].text in ("-n", "-np", "--np", "-c"):
            return words[index + 1]
        if _engine_at(words, index) is not None:
            break
    return None


def _without_router_flags(args: list[Word]) -> list[Word]:
    """The router's own ``--router-*`` options (and their values) are not server arguments."""
    kept: list[Word] = []
    skip_value = False
    for word in args:
        if skip_value and not word.text.startswith("-"):
            skip_value = False
            continue
        skip_value = False
        if word.text.startswith(ROUTER_PREFIX):
            skip_value = "=" not in word.text
            continue
        kept.append(word)
    return kept


def _docker_run(words: Sequence[Word], start: int, script_of: ScriptOf,
                assignments: dict[str, Word] | None) -> list[EngineCall]:
    """``docker run [options] IMAGE [args]``: the image's entrypoint runs unless args start a program."""
    gpus: Word | None = None
    environment = dict(assignments or {})
    index = start
    while index < len(words) and words[index].text.startswith("-"):
        option, equals, inline = words[index].text.partition("=")
        value: Word | None = None
        if equals:
            value = Word(inline, words[index].range, words[index].unresolved, words[index].quoted)
            index += 1
        elif option in _DOCKER_VALUELESS:
            index += 1
            continue
        else:
            value = words[index + 1] if index + 1 < len(words) else None
            index += 2
        if value is None:
            continue
        if option == "--gpus":
            gpus = value
        elif option in ("-e", "--env") and "=" in value.text:
            name, _, text = value.text.partition("=")
            environment[name] = Word(text, value.range, value.unresolved, value.quoted)
    if index >= len(words):
        return []
    image, args = words[index], list(words[index + 1:])
    calls = find_calls(args, script_of, environment, image=image.text) if args else []
    for call in calls:
        call.docker_gpus = gpus
    return calls
