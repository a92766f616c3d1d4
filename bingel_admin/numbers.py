"""Small number helpers shared by every app (this module imports no app)."""

from __future__ import annotations


def percent(part: int, whole: int, *, when_empty: int = 0, capped: bool = True) -> int:
    """``part`` of ``whole`` in whole percent; ``when_empty`` when there is no whole.

    Capped at 100 for a bar's width unless ``capped`` is false (a licence whose seats were
    lowered after they were handed out shows its real use).
    """
    if whole <= 0:
        return when_empty
    value = round(100 * part / whole)
    return min(100, value) if capped else value
