"""Numbers as configuration files write them and as parlint prints them: shared by the adapters, the
model normalizer and the text renderers."""

from __future__ import annotations

from collections.abc import Sequence
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


def compact_ranges(numbers: Sequence[int], empty: str = "none") -> str:
    """Consecutive numbers folded into ranges: ``0-2, 5, 7-9`` (``empty`` when there are none)."""
    if not numbers:
        return empty
    parts: list[str] = []
    start = previous = numbers[0]
    for number in (*numbers[1:], None):
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)
