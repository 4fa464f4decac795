"""A `# parlint: disable...` comment that silences nothing.

What: reports each selector of an inline suppression that matched no diagnostic in this run.

Why: suppressions outlive the problems they hid. A stale one hides the next real problem on that line
(like ruff's RUF100 unused-noqa).

Example (bad)::

    tensor-parallel-size: 8  # parlint: disable=PL202 -- heads were 6 once

Example (good)::

    tensor-parallel-size: 8

Fix: delete the comment, or the selector that no longer matches. Selectors of rules that were not
selected in this run are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import Finding

CODE = "PL003"
NAME = "unused-suppression"
SECTION = "-"
SEVERITY = "warning"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for suppression, selector in ctx.unused_suppressions:
        yield finding(
            (ctx.file, suppression.range),
            f"unused suppression: {selector} matched no diagnostic here ({suppression.kind})",
        )
