"""The file cannot be read as its engine would read it.

What: reports each problem that stops parlint from reading the file, at the position of the
offending text: a syntax error, a duplicate key, a merge-conflict marker, hostile structure (alias
bombs, nesting beyond the limit, oversized or binary files), or a value of the wrong type for its key
(``tensor-parallel-size: "eight"``).

Why: an engine refuses such a file at start-up (PyYAML/argparse/pydantic errors), often after the
weights have been downloaded. A duplicate key is silently resolved to its last value by PyYAML, so a
file can say two different tensor-parallel sizes and mean only one. A file parlint cannot read is
also a file it cannot check: every other rule stays silent on it.

Example (bad)::

    tensor-parallel-size: 8
    tensor-parallel-size: 4      # duplicate key: PyYAML keeps 4

Example (good)::

    tensor-parallel-size: 8

Fix: correct the syntax, remove the duplicate or the conflict markers. parlint never edits a file it
could not fully parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from parlint.linter.context import LintContext, finding
from parlint.linter.derive import WORLD_SIZE_LIMIT
from parlint.linter.diagnostics import Finding
from parlint.linter.plan import Sourced

CODE = "PL001"
NAME = "invalid-file"
SECTION = "-"
SEVERITY = "error"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for problem in ctx.load_problems:
        yield finding((ctx.file, problem.range), problem.message)
    for facts in ctx.deployments:
        for note in facts.plan.invalid_values:
            yield finding((note.file, note.range), f"{note.spelling}: {note.reason}")
        for rejection in facts.deployment.rejections:
            if rejection.kind == WORLD_SIZE_LIMIT:
                at = max(rejection.sources, key=_degree, default=None)
                yield finding(at or (facts.plan.file, facts.plan.range), rejection.message,
                              related=[(source, f"{source.spelling} {source.value}")
                                       for source in rejection.sources if source is not at])


def _degree(source: Sourced[Any]) -> int:
    return source.value if isinstance(source.value, int) else 0
