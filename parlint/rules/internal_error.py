"""parlint itself failed on this file.

What: an unexpected internal error while linting one file becomes this one diagnostic for that file;
the other files are still linted and the run exits with 2.

Why: a linter that crashes on one odd file breaks every commit in the repository. Reporting the
failure per file keeps the rest of the results and points at the input that needs a bug report.

Example: any file that triggers a bug in parlint.

Fix: report it with the file (or a reduced copy) at the project's issue tracker; ``--debug`` shows
the traceback. Meanwhile ``exclude`` the file in the parlint configuration.
"""

from __future__ import annotations

from collections.abc import Iterator

from parlint import __version__
from parlint.linter.context import LintContext, finding
from parlint.linter.diagnostics import FILE_START, Finding

CODE = "PL000"
NAME = "internal-error"
SECTION = "-"
SEVERITY = "error"
FIXABLE = False


def check(ctx: LintContext) -> Iterator[Finding]:
    for error in ctx.internal_errors:
        yield finding(
            (ctx.file, FILE_START),
            f"internal error in parlint {__version__}: {error}; please report this with the file",
        )
