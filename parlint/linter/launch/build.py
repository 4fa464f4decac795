"""Turn an engine call found at a launch site into a :class:`DeclaredPlan`.

The argument list is read with the engine's one flag table (:func:`parlint.linter.adapters.flags.parse_args`);
this module adds what the launch site says around it: GPU supply (scope ``node`` with ``units`` pods
or nodes, ``total``, ``process`` for ``CUDA_VISIBLE_DEVICES``), the GPU type, and environment variables
the engine reads (``CUDA_VISIBLE_DEVICES``, ``VLLM_PP_LAYER_PARTITION``, ``SGLANG_PP_LAYER_PARTITION``).

``--config FILE`` (``--extra_llm_api_options`` for TensorRT-LLM) is read relative to the launch file's
directory with the engine's config adapter and merged with the engine's precedence: vLLM and SGLang
put the command line over the file (``FlexibleArgumentParser._pull_args_from_config``,
``ConfigArgumentMerger``, frameworks.md §1.2, §2.2), TensorRT-LLM the file over the command line
(``update_llm_args_with_extra_dict``, §4.2). Values from the file keep their positions in that file;
notes about the file's keys are left to linting the file itself, so they are not reported twice.

Unknown values. A word that needs a shell variable parlint cannot resolve is unknown, and no rule
may judge it (a word still holding ``$``, a ``<placeholder>`` or a ``{{ template }}`` is unknown too):

- an unresolved model leaves ``plan.model`` unset (model rules stay silent);
- an unresolved value of any other setting is dropped, together with notes about it;
- an unresolved *parallel degree* (TP, PP, DP, EP, ...) makes the whole mapping unknown: the call
  yields no plan at all, since every GPU count derived from a default would be a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parlint.linter.diagnostics import Range
from parlint.linter.launch.commands import EngineCall
from parlint.linter.plan import DeclaredPlan, GpuSupply, KeyNote, Sourced
from parlint.linter.shell import Heredoc, Word

STRUCTURAL = frozenset(
    {"tp", "pp", "dp", "dp_local", "attn_dp", "enable_attention_dp", "enable_ep", "ep", "moe_tp", "moe_dp",
     "moe_dense_tp", "cp", "dcp", "redundant_experts", "eplb", "nnodes", "replicas", "pp_partition"}
)
"""Settings that shape the structural mapping: unknown ones make the whole plan unknown."""

VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES"
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass
class Site:
    """Where a call sits and what surrounds it: environment, GPU supply and type."""

    file: str
    dialect: str
    env: dict[str, Word] = field(default_factory=dict)
    supply: list[GpuSupply] = field(default_factory=list)
    gpu: Sourced[str] | None = None
    gpus_per_node: Sourced[int] | None = None
    files: dict[str, Heredoc] = field(default_factory=dict)  # config files the script writes itself


def _inside(inner: Range, outer: Range) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _unknown(where: Range, unresolved: list[Range]) -> bool:
    return any(_inside(where, outer) for outer in unresolved)


def plan_from_call(call: EngineCall, site: Site) -> DeclaredPlan | None:
    """The plan ``call`` declares, or None when a parallel degree depends on an unknown value."""
    from parlint.linter.adapters.flags import Token, parse_args

    tokens = [Token(word.text, site.file, word.range) for word in call.args]
    # A ``$`` left in a word is a variable some shell expands later (``bash -c "... \\$NODE_RANK"``): unknown.
    unresolved = [word.range for word in call.args if word.unresolved or _placeholder(word.text)]
    parsed = parse_args(call.engine, tokens)
    end = call.args[-1].range.end if call.args else call.program.end
    plan = DeclaredPlan(call.engine, site.file, Range(call.program.start, end), dialect=site.dialect)
    for name, sourced in parsed.settings.items():
        if _unknown(sourced.range, unresolved):
            if name in STRUCTURAL:
                return None
            continue
        plan.settings[name] = sourced
    if parsed.model is not None and not _unknown(parsed.model.range, unresolved):
        plan.model = parsed.model
    plan.unknown_keys = [note for note in parsed.unknown if not _unknown(note.range, unresolved)]
    plan.deprecated_keys = list(parsed.deprecated)
    for note in parsed.invalid:
        if _unknown(note.range, unresolved):
            if _note_setting(call.engine, note.spelling) in STRUCTURAL:
                return None
            continue
        plan.invalid_values.append(note)
    if parsed.config is not None and not _unknown(parsed.config.range, unresolved):
        config = _config_settings(call.engine, site.file, parsed.config.value, site.files)
        if config is None:
            return None  # the mapping depends on a file parlint cannot read
        for name, sourced in config.items():
            if call.engine == "trtllm" or name not in plan.settings:
                plan.settings[name] = sourced
        if plan.model is None and "model" in config:
            plan.model = config["model"]
        plan.settings.pop("model", None)
    plan.supply = [*site.supply, *parsed.supply]
    plan.gpu = site.gpu
    plan.gpus_per_node = site.gpus_per_node
    environment = {**site.env, **call.assignments}
    if not _read_environment(plan, environment):
        return None
    if call.tasks is not None:
        _add_count(plan, call.tasks, "total", f"`mpirun -n {call.tasks.text}`")
    if call.docker_gpus is not None:
        _add_docker_gpus(plan, call.docker_gpus)
    return plan


def _placeholder(text: str) -> bool:
    """A shell variable left for a later shell, a ``<placeholder>``, a template (``{{ .Values.tp }}``) or the
    ellipsis of a run-book's ``vllm serve ... --port 8000``."""
    return ("$" in text or "{{" in text or "}}" in text or (text.startswith("<") and text.endswith(">"))
            or text.strip(".…") == "")


def _config_settings(engine: str, launch_file: str, reference: str,
                     written: dict[str, Heredoc]) -> dict[str, Sourced[Any]] | None:
    """Settings of the engine config file a command points to; None when it cannot be read.

    A file the same script writes with a here-document (``cat > extra.yaml <<'EOF'``, as TensorRT-LLM's guides
    do) is read from the script, its values positioned there; a body the shell would expand (``$`` under an
    unquoted delimiter) is unknown."""
    import os

    from parlint.linter.adapters import sglang, trtllm, vllm
    from parlint.linter.loader import load_text

    adapters = {"vllm": vllm.adapt_vllm, "sglang": sglang.adapt_sglang, "trtllm": trtllm.adapt_trtllm}
    adapter = adapters.get(engine)
    if adapter is None:
        return None
    heredoc = next((doc for name, doc in written.items() if os.path.normpath(name) == os.path.normpath(reference)),
                   None)
    if heredoc is not None:
        if (not heredoc.literal and "$" in heredoc.text) or heredoc.position.column != 1:
            return None
        path = launch_file
        loaded = load_text(path, "\n" * (heredoc.position.line - 1) + heredoc.text)
    else:
        path = os.path.join(os.path.dirname(os.path.abspath(launch_file)), os.path.expanduser(reference))
        if not os.path.isfile(path):
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                loaded = load_text(path, handle.read(MAX_CONFIG_BYTES))
        except (OSError, UnicodeDecodeError):
            return None
    if not loaded.ok or len(loaded.documents) != 1:
        return None
    plan = adapter(path, loaded.documents[0])
    settings = dict(plan.settings)
    if plan.model is not None:
        settings["model"] = plan.model
    return settings


def _note_setting(engine: str, spelling: str) -> str | None:
    from parlint.linter.adapters.flags import ENGINES

    table = ENGINES[engine]
    flag = table.cli_flag(table.abbreviation(spelling) or spelling.split(".", 1)[0])
    return flag.setting if flag is not None else None


def _read_environment(plan: DeclaredPlan, environment: dict[str, Word]) -> bool:
    """Engine-read variables; False when one that shapes the mapping is unknown."""
    from parlint.linter.adapters.flags import PP_PARTITION_ENV, parse_partition

    visible = environment.get(VISIBLE_DEVICES)
    if visible is not None and not visible.unresolved:
        devices = [item for item in visible.text.split(",") if item.strip()]
        if devices:
            count = Sourced(len(devices), plan.file, visible.range, VISIBLE_DEVICES)
            plan.supply.append(GpuSupply(count, "process", f"{VISIBLE_DEVICES}={visible.text}"))
    variable = PP_PARTITION_ENV.get(plan.engine)
    partition = environment.get(variable) if variable else None
    if variable and partition is not None:
        if partition.unresolved:
            return False
        result = parse_partition(plan.engine, partition.text, plan.file, partition.range, variable)
        if isinstance(result, KeyNote):
            plan.invalid_values.append(result)
        else:
            plan.settings["pp_partition"] = result
    return True


def _add_count(plan: DeclaredPlan, word: Word, scope: str, what: str, units: int = 1) -> None:
    if word.unresolved or not word.text.isdigit():
        return
    plan.supply.append(GpuSupply(Sourced(int(word.text), plan.file, word.range, word.text), scope, what, units))


def _add_docker_gpus(plan: DeclaredPlan, word: Word) -> None:
    """``--gpus 2`` or ``--gpus '"device=0,1"'``; ``all`` says nothing about the count."""
    text = word.text.strip("'\"")
    if text.startswith("device="):
        devices = [item for item in text[len("device="):].split(",") if item.strip()]
        if devices and not word.unresolved:
            count = Sourced(len(devices), plan.file, word.range, "--gpus")
            plan.supply.append(GpuSupply(count, "node", f"`docker run --gpus {text}`"))
        return
    _add_count(plan, Word(text, word.range, word.unresolved), "node", f"`docker run --gpus {text}`")
