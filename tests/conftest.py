"""Test-wide settings: the result cache is off unless a test turns it on, so tests never share results."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLINT_NO_CACHE", "1")
