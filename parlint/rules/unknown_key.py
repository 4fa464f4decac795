"""A key the engine or chart never reads where it is written is silently ignored (or rejects the file).

What: reports every key the adapter did not accept at its place: a misspelled or removed engine flag, a
SGLang config key written with underscores, a Helm value at the wrong level. The message names the
closest key the engine reads there. For vLLM 0.33 and SGLang 0.5.23 parlint knows every option of the
engines' parsers (``parlint/data/engine_options.json``, read from their released sources by
``scripts/build_engine_options.py``), so a real option is never a typo (``--enable-lora`` is not
``--enable-dbo``); an unknown option counts only when it is a close misspelling (``--tensor-paralel-size``).
vLLM and SGLang expand a unique prefix of an option (argparse ``allow_abbrev``: ``--max-num-seq``,
``pipeline-parallel:``) and refuse an ambiguous one (``--data-parallel``, SGLang 0.5.23's ``--cuda-graph-bs``),
as the engines do.

Why: what is ignored does not configure anything: the deployment runs with the default instead of the
written degree. vLLM's ``FlexibleArgumentParser`` and SGLang's argparse stop at an unrecognized argument;
SGLang's ``ConfigArgumentMerger`` emits config keys verbatim, so ``tp_size:`` becomes the unknown flag
``--tp_size``; TensorRT-LLM and DeepSpeed configs are ``extra="forbid"`` pydantic models; the vLLM
production-stack chart silently drops values at the wrong level (``shared/reference/frameworks.md``,
``real-world-mistakes.md`` SCHEMA_KEY_IGNORED).

Example (bad), an SGLang ``--config`` file::

    model-path: deepseek-ai/DeepSeek-V3
    tp_size: 8

Example (good)::

    model-path: deepseek-ai/DeepSeek-V3
    tp-size: 8

Fix: write the key the message names. Fix (flat YAML configs): the key is renamed, safe when it only
respells the same option (``tp_size`` -> ``tp-size``), unsafe for a typo guess or a short alias. Fix
(commands in launch files): the flag is respelled in place (``--tensor-paralel-size 8`` ->
``--tensor-parallel-size 8``), quotes and ``=value`` kept, with the same applicability.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Applicability, Edit, Finding, Fix
from parlint.linter.plan import KeyNote

CODE = "PL901"
NAME = "unknown-key"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = True


def distinct_notes(groups: Iterable[list[KeyNote]]) -> Iterator[KeyNote]:
    """Each note once, although several deployments of one file may carry the same key."""
    seen: set[tuple[str, object, str]] = set()
    for notes in groups:
        for note in notes:
            key = (note.file, note.range, note.spelling)
            if key not in seen:
                seen.add(key)
                yield note


def check(ctx: LintContext) -> Iterator[Finding]:
    if not any(facts.plan.unknown_keys for facts in ctx.deployments):
        return
    from parlint.linter.fixes import COMMAND_DIALECTS, EDITABLE_DIALECTS  # only files with a fix pay its import

    renamable = {facts.plan.file for facts in ctx.deployments if facts.plan.dialect in EDITABLE_DIALECTS}
    commands = {facts.plan.file: facts.plan.source_text for facts in ctx.deployments
                if facts.plan.dialect in COMMAND_DIALECTS and facts.plan.source_text}
    for note in distinct_notes(facts.plan.unknown_keys for facts in ctx.deployments):
        message = note.reason or f"`{note.spelling}` is not read here"
        if note.replacement and note.replacement not in message:
            message += f"; the closest valid key is `{note.replacement}`"
        yield finding((note.file, note.range), message, fix=_rename(note, note.file in renamable,
                                                                     commands.get(note.file, "")))


def _rename(note: KeyNote, renamable: bool, command_text: str) -> Fix | None:
    """The replacement key (or flag, in a command): safe when it only respells the same option (``tp_size``
    -> ``tp-size``), unsafe when it guesses a typo or turns a short alias into its option (the setting then
    takes effect)."""
    from parlint.linter.fixes import rename_flag, rename_key  # only files with a fix pay its import

    if not note.replacement or " " in note.replacement:
        return None
    edit: Edit | None = None
    if command_text and note.replacement.startswith("--"):
        edit = rename_flag(command_text, note.range, note.spelling, note.replacement)
    elif renamable and not note.replacement.startswith("-"):
        edit = rename_key(note.range, note.replacement)
    if edit is None:
        return None
    same = note.spelling.replace("_", "-") == note.replacement.replace("_", "-")
    return Fix(Applicability.SAFE if same else Applicability.UNSAFE, f"rename `{note.spelling}` to "
               f"`{note.replacement}`", (edit,))
