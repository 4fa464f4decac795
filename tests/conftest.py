"""Test-wide settings: the result cache is off unless a test turns it on, and model resolutions cached by
one test (which may point HF_HUB_CACHE at its own directory) never leak into the next."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLINT_NO_CACHE", "1")


@pytest.fixture(autouse=True)
def _fresh_model_resolution() -> Iterator[None]:
    yield
    from parlint.linter.models.resolve import clear_cache

    clear_cache()
