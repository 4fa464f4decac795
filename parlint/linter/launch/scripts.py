"""Launch commands in shell scripts, Slurm batch scripts, Markdown run-books and Dockerfiles.

- Shell (``.sh``, ``.bash``, shebang files): every command; variables from assignments and ``export``
  earlier in the script, ``${VAR:-default}`` defaults; ``bash -c '...'`` words are split again.
- Slurm: ``#SBATCH --nodes/-N``, ``--gpus-per-node``, ``--gres=gpu[:type]:N`` and ``--gpus`` give the
  GPU supply (``srun`` is a wrapper like any other); ``$SLURM_NNODES``, ``$SLURM_JOB_NUM_NODES`` and
  ``$SLURM_GPUS_PER_NODE`` resolve from those directives.
- Markdown: fenced ``bash``/``sh``/``shell``/``zsh``/``console`` blocks (and fences without a language);
  in ``console`` blocks only ``$ `` prompt lines and their continuations are commands. Variables carry
  from one block to the next, as when a reader runs the steps in one terminal. ``yaml`` fences holding
  manifests (Kubernetes, compose, SkyPilot, production-stack values) are read like manifest files.
- Dockerfile: ``ENTRYPOINT``/``CMD`` in exec (JSON) and shell form, ``RUN``, ``ENV``/``ARG`` values;
  ``CMD`` arguments alone run the base image's entrypoint when it is an engine image. Docker accepts
  spaces after a line-continuation ``\\`` (its parser's ``\\[ \\t]*$``), so only a comment breaks one there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from parlint.linter.diagnostics import Position, Range
from parlint.linter.launch.build import Site, plan_from_call
from parlint.linter.launch.commands import ScriptOf, find_calls
from parlint.linter.launch.facts import Launch
from parlint.linter.launch.fragments import script_at
from parlint.linter.plan import GpuSupply, Sourced
from parlint.linter.shell import LineMap, Script, Word, split

SHELL_LANGUAGES = frozenset({"", "bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession"})
YAML_LANGUAGES = frozenset({"yaml", "yml"})
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`{]*)")
_SBATCH = re.compile(r"^#SBATCH\s+(?P<options>.*)$")
_CONTINUED = re.compile(r"\\[ \t]*(?:#.*)?$")


def launch_from_script(file: str, lines: Sequence[str], script: Script, site: Site) -> Launch:
    """Plans of every engine call in ``script``, plus the broken continuations of it and nested scripts."""
    launch = Launch(broken=list(script.broken))
    for command in script.commands:
        environment = {name: word.text for name, word in {**site.env, **command.environment}.items()
                       if not word.unresolved}
        script_of = _nested(lines, environment, launch)
        for call in find_calls(command.words, script_of, command.assignments):
            call_site = Site(file, site.dialect, {**site.env, **command.environment}, list(site.supply),
                             site.gpu, site.gpus_per_node, {**site.files, **script.files})
            plan = plan_from_call(call, call_site)
            if plan is not None:
                launch.plans.append(plan)
    return launch


def _nested(lines: Sequence[str], env: Mapping[str, str], launch: Launch, *, yaml_scalar: bool = False,
            kubelet: bool = False) -> ScriptOf:
    def script_of(word: Word) -> Script | None:
        if not (word.quoted or yaml_scalar):
            return None
        script = script_at(lines, word.range, env, yaml_scalar=yaml_scalar, kubelet=kubelet)
        if script is not None:
            launch.broken.extend(script.broken)
        return script

    return script_of


def nested_scripts(lines: Sequence[str], env: Mapping[str, str], launch: Launch, *, kubelet: bool) -> ScriptOf:
    """A ``bash -c`` splitter for words that are YAML scalars (container args, compose commands)."""
    return _nested(lines, env, launch, yaml_scalar=True, kubelet=kubelet)


def from_shell(file: str, text: str) -> Launch:
    lines = text.split("\n")
    site = _slurm(file, lines)
    script = split(text, env={name: word.text for name, word in site.env.items()})
    return launch_from_script(file, lines, script, site)


def _slurm(file: str, lines: Sequence[str]) -> Site:
    """GPU supply from ``#SBATCH`` directives (they stop at the first command, as sbatch reads them)."""
    result = Site(file, "shell")
    nodes: Sourced[int] | None = None
    per_node: Sourced[int] | None = None
    total: Sourced[int] | None = None
    gpu: Sourced[str] | None = None
    written = {"": ""}  # option -> value as written, for messages
    for number, line in enumerate(lines, start=1):
        match = _SBATCH.match(line)
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            continue
        for option, value, column in _options(match.group("options"), match.start("options") + 1):
            where = Range.of(number, column, number, column + len(value))
            if option in ("--nodes", "-N"):
                count = value.split("-", 1)[0]
                if count.isdigit():
                    nodes = Sourced(int(count), file, where, option)
            elif option in ("--gpus-per-node", "--gres", "--gpus", "-G"):
                resource = value.split(",", 1)[0]
                if option == "--gres":
                    if not resource.startswith("gpu"):
                        continue
                    resource = resource.partition(":")[2]
                kind, _, count = resource.rpartition(":")
                if not count.isdigit():
                    continue
                offset = len(value.split(",", 1)[0]) - len(count)
                counted = Sourced(int(count), file, Range.of(number, column + offset, number,
                                                             column + offset + len(count)), option)
                written[option] = value
                if option in ("--gpus", "-G"):
                    total = counted
                else:
                    per_node = counted
                if kind:
                    gpu = Sourced(kind, file, where, option)
    node_count = nodes.value if nodes else 1
    if per_node is not None:
        what = f"#SBATCH {per_node.spelling}={written[per_node.spelling]}" + (
            f" on {node_count} nodes" if node_count > 1 else "")
        result.supply.append(GpuSupply(per_node, "node", what, node_count))
        result.gpus_per_node = per_node
        result.env["SLURM_GPUS_PER_NODE"] = Word(str(per_node.value), per_node.range)
    elif total is not None:
        result.supply.append(GpuSupply(total, "total", f"#SBATCH {total.spelling}={written[total.spelling]}"))
    if nodes is not None:
        for variable in ("SLURM_NNODES", "SLURM_JOB_NUM_NODES"):
            result.env[variable] = Word(str(nodes.value), nodes.range)
    result.gpu = gpu
    if result.supply:
        result.dialect = "slurm"
    return result


def _options(text: str, column: int) -> list[tuple[str, str, int]]:
    """(option, value, column of the value) of ``--opt=value``, ``--opt value`` and ``-N 2`` forms."""
    found: list[tuple[str, str, int]] = []
    words = [(match.group(), column + match.start()) for match in re.finditer(r"[^\s#]+", text.split(" #", 1)[0])]
    index = 0
    while index < len(words):
        word, start = words[index]
        index += 1
        if not word.startswith("-"):
            continue
        option, equals, value = word.partition("=")
        if equals:
            found.append((option, value, start + len(option) + 1))
        elif index < len(words) and not words[index][0].startswith("-"):
            found.append((option, words[index][0], words[index][1]))
            index += 1
    return found


# --------------------------------------------------------------------------------------------------
# Markdown


def from_markdown(file: str, text: str) -> Launch:
    lines = text.split("\n")
    launch = Launch()
    assigned: dict[str, Word] = {}
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        language = opening.group("info").lower()
        body_start = index + 1
        index += 1
        while index < len(lines) and not lines[index].lstrip(" ").startswith(fence):
            index += 1
        if language in YAML_LANGUAGES:
            launch.extend(_yaml_fence(file, lines, body_start, index))
        elif language in SHELL_LANGUAGES:
            fragment, starts = _fence_body(lines, body_start, index, indent, console=language != "" and
                                           language not in ("bash", "sh", "shell", "zsh"))
            if fragment.strip():
                variables = {name: word.text for name, word in assigned.items()}
                script = split(fragment, lines=LineMap(starts), env=variables)
                launch.extend(launch_from_script(file, lines, script, Site(file, "markdown", dict(assigned))))
                assigned.update(script.assigned)
        index += 1
    return launch


def _yaml_fence(file: str, lines: Sequence[str], first: int, end: int) -> Launch:
    """Manifests in a ``yaml`` fence, read at their own lines and columns (the rest of the file blanked)."""
    from parlint.linter.launch import looks_relevant
    from parlint.linter.launch.manifests import from_document
    from parlint.linter.loader import load_yaml

    body = "\n".join(lines[first:end])
    if not looks_relevant(body):
        return Launch()
    loaded = load_yaml(file, "\n" * first + body)
    launch = Launch()
    if loaded.ok:
        for document in loaded.documents:
            launch.extend(from_document(file, lines, document))
    return launch


def _fence_body(lines: Sequence[str], first: int, end: int, indent: int,
                *, console: bool) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The fence's text with the fence indentation (and console prompts) removed, and its LineMap."""
    body: list[str] = []
    starts: list[tuple[int, int]] = []
    continued = False
    for number in range(first, end):
        line = lines[number]
        strip = min(indent, len(line) - len(line.lstrip(" ")))
        line = line[strip:]
        if console:
            if line.startswith("$ "):
                line, strip = line[2:], strip + 2
            elif not continued:
                line = ""
        continued = _CONTINUED.search(line) is not None  # broken continuations too: they name what is lost
        body.append(line)
        starts.append((number + 1, strip + 1))
    return "\n".join(body), tuple(starts) or ((first + 1, 1),)


# --------------------------------------------------------------------------------------------------
# Dockerfile

_INSTRUCTION = re.compile(r"^\s*(?P<name>[A-Za-z]+)(?P<space>\s+|$)")
_DOCKER_CONTINUATION = re.compile(r"\\[ \t]*$")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def from_dockerfile(file: str, text: str) -> Launch:
    lines = text.split("\n")
    launch = Launch()
    env: dict[str, Word] = {}
    image = ""
    entrypoint: list[Word] | None = None
    cmd: list[Word] | None = None
    shell_entrypoint = False  # a shell-form ENTRYPOINT runs under ``/bin/sh -c`` and ignores CMD
    for name, body, starts in _instructions(lines):
        keyword = name.upper()
        if keyword == "FROM":
            image = next((part for part in body.split() if not part.startswith("--")), "")
            entrypoint = cmd = None
            shell_entrypoint = False
        elif keyword in ("ENV", "ARG"):
            env.update(_env_words(body, starts, {name: word.text for name, word in env.items()}))
        elif keyword in ("ENTRYPOINT", "CMD", "RUN"):
            variables = {name: word.text for name, word in env.items()}
            exec_form = _exec_form(body, starts)
            if keyword == "ENTRYPOINT":
                shell_entrypoint = exec_form is None
            if exec_form is None:
                script = split(body, lines=LineMap(starts), env=variables)
                if keyword == "RUN" or len(script.commands) != 1:
                    launch.extend(launch_from_script(file, lines, script, Site(file, "dockerfile", dict(env))))
                    continue
                launch.broken.extend(script.broken)
                exec_form = script.commands[0].words
            if keyword == "ENTRYPOINT":
                entrypoint, cmd = exec_form, None
            elif keyword == "CMD":
                cmd = exec_form
            else:
                _calls(launch, file, lines, exec_form, env, None)
    argv = [*(entrypoint or []), *([] if shell_entrypoint else cmd or [])]
    if argv:
        _calls(launch, file, lines, argv, env, image if entrypoint is None else None)
    return launch


def _calls(launch: Launch, file: str, lines: Sequence[str], words: list[Word], env: dict[str, Word],
           image: str | None) -> None:
    script_of = _nested(lines, {name: word.text for name, word in env.items()}, launch)
    for call in find_calls(words, script_of, image=image):
        plan = plan_from_call(call, Site(file, "dockerfile", dict(env)))
        if plan is not None:
            launch.plans.append(plan)


def _instructions(lines: Sequence[str]) -> list[tuple[str, str, tuple[tuple[int, int], ...]]]:
    """(instruction, body text, LineMap starts) with Docker's continuation rules applied."""
    found: list[tuple[str, str, tuple[tuple[int, int], ...]]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _INSTRUCTION.match(line)
        if not match or line.lstrip().startswith("#"):
            index += 1
            continue
        body_lines = [line[match.end():]]
        starts = [(index + 1, match.end() + 1)]
        while _DOCKER_CONTINUATION.search(body_lines[-1]) and index + 1 < len(lines):
            body_lines[-1] = _DOCKER_CONTINUATION.sub("\\\\", body_lines[-1])
            index += 1
            following = lines[index]
            if following.lstrip().startswith("#") or not following.strip():
                continue  # Docker drops comment and empty lines inside an instruction
            body_lines.append(following)
            starts.append((index + 1, 1))
        found.append((match.group("name"), "\n".join(body_lines), tuple(starts)))
        index += 1
    return found


def _exec_form(body: str, starts: tuple[tuple[int, int], ...]) -> list[Word] | None:
    """Words of a JSON-array instruction, each at its string's position; None for the shell form."""
    stripped = body.strip()
    if not stripped.startswith("["):
        return None
    try:
        values = json.loads(stripped.replace("\\\n", " "))
    except ValueError:
        return None
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return None
    words: list[Word] = []
    for line_number, line in enumerate(body.split("\n")):
        for match in _JSON_STRING.finditer(line):
            start = LineMap(starts).position(line_number, match.start())
            end = Position(start.line, start.column + len(match.group()))
            words.append(Word(json.loads(match.group()), Range(start, end), quoted=True))
    return words if len(words) == len(values) else None


def _env_words(body: str, starts: tuple[tuple[int, int], ...], env: Mapping[str, str]) -> dict[str, Word]:
    """``ENV A=1 B=2``, ``ENV A 1`` and ``ARG A=1`` as positioned words."""
    script = split(body, lines=LineMap(starts), env=env, newline_is_space=True)
    words = [word for command in script.commands for word in command.words]
    assigned = {name: word for command in script.commands for name, word in command.assignments.items()}
    assigned.update(script.assigned)
    if words and "=" not in words[0].text and len(words) >= 2:
        value = words[1]
        assigned[words[0].text] = Word(" ".join(word.text for word in words[1:]),
                                       Range(value.range.start, words[-1].range.end), value.unresolved)
    return assigned
