"""A shell line continuation broken by a trailing comment or spaces silently drops the flags after it.

What: reports every ``\\`` that is followed by a comment or by spaces before the end of the line, in
shell scripts, Markdown run-books, Dockerfile ``RUN``/``CMD`` lines and scripts inside manifests
(``bash -c``, SkyPilot ``run:``). The diagnostic points at the ``\\`` and names the flags that the
shell will not pass to the command.

Why: a backslash continues a line only when it is the very last character (POSIX shell, "Escape
Character (Backslash)"). ``--tensor-parallel-size 8 \\  # comment`` escapes a space and ends the
command at the newline: the engine starts with the flags written so far and the shell then runs the
next line (``--pipeline-parallel-size 2 ...``) as a command of its own, which fails on its own line
while the server keeps running without it. vLLM's own expert-parallel guide shipped this
(``docs/serving/expert_parallel_deployment.md``, launching DeepSeek-V3 without DP or EP), and so did
NVIDIA/TensorRT-LLM PR #7101 (``real-world-mistakes.md`` §8, SHELL_CONTINUATION_BROKEN).

Example (bad)::

    vllm serve deepseek-ai/DeepSeek-V3 \\
      --tensor-parallel-size 8 \\   # one node
      --enable-expert-parallel

Example (good)::

    # one node
    vllm serve deepseek-ai/DeepSeek-V3 \\
      --tensor-parallel-size 8 \\
      --enable-expert-parallel

Fix: move the comment to its own line above the command and delete the spaces after the ``\\``.
Fix (safe, spaces only): the spaces after the ``\\`` are deleted. Fix (unsafe, a comment): the comment
moves to its own line above the command (in YAML only inside a ``|`` block scalar); unsafe because the
flags the shell dropped reach the command again, so it starts differently.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Finding

CODE = "PL902"
NAME = "broken-continuation"
SECTION = "-"
SEVERITY = "error"
FIXABLE = True


def check(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.launch.broken:
        return
    from parlint.linter.fixes import continuation_fix  # only files with a fix pay its import

    seen = set()
    yaml_file = ctx.file.lower().endswith((".yaml", ".yml"))
    for broken in ctx.launch.broken:
        if broken.range in seen:
            continue
        seen.add(broken.range)
        flags = [word.text for word in broken.dropped if word.text.startswith("-")]
        if flags:
            lost = f"so {', '.join(f'`{flag}`' for flag in flags)} never reach the command"
        elif broken.dropped:
            lost = f"so the next line (`{' '.join(word.text for word in broken.dropped)}`) runs as a separate command"
        else:
            lost = "so the command ends here"
        yield finding(
            (ctx.file, broken.range),
            f"line continuation broken by {broken.reason} after `\\`: the shell ends the command at this line, "
            f"{lost}",
            fix=continuation_fix(ctx.text, broken.range, yaml_file=yaml_file) if ctx.text else None,
        )
