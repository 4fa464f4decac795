"""Reading numbers as configuration files write them, shared by the adapters and the model normalizer."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """An integer written as an int, a whole float or a numeral string; None for anything else (and for
    booleans, which YAML writes as ``true`` but no degree means)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            try:
                return int(text)
            except ValueError:  # digits int() refuses ("²") or beyond Python's 4300-digit conversion limit
                return None
    return None
