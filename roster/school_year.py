"""School years and year levels: the one definition every app uses.

A Dutch school year runs from 1 August to 31 July and is written ``2026-2027``. Year levels
(``jaargroep``) are ``1``–``8`` and the special codes the school administration uses (``0``,
``S``, ``V``, …); they are shown in one order everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

KNOWN_YEAR_LEVELS = frozenset({"0", "1", "2", "3", "4", "5", "6", "7", "8", "S", "V"})


def school_year_of(day: dt.date) -> str:
    """Dutch school years run from 1 August to 31 July."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def last_day_of(year: str) -> dt.date:
    """31 July of the school year ``year``: the day its licences end."""
    return dt.date(int(year[5:]), 7, 31)


def next_school_year(year: str) -> str:
    start = int(year[:4]) + 1
    return f"{start}-{start + 1}"


def previous_school_year(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}-{start + 1}"


def year_level_sort_key(jaargroep: str) -> tuple[int, int, str]:
    """The one year-level order: 0–8 in number order; special codes (S, V, …) after them; none last."""
    if jaargroep.isdigit():
        return (0, int(jaargroep), "")
    return (1 if jaargroep else 2, 0, jaargroep)


def sorted_year_levels(levels: Iterable[str]) -> list[str]:
    return sorted(levels, key=year_level_sort_key)
