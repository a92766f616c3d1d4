"""What the import's steps share: the result of one school, the feed's text as stored, and pair tables."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_date

from roster.bulk import delete_pks, insert_rows
from roster.feed.shape import DATE, TEXT, clean_text
from roster.holds import Held
from roster.models import School


@dataclass
class ApplyResult:
    school: School | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deactivated: Counter = field(default_factory=Counter)
    moved_pupils: int = 0
    moved_pupil_ids: list[int] = field(default_factory=list)
    held: Held | None = None  # the night was held (``roster.holds``): nothing of the school was written

    @property
    def changed(self) -> bool:
        return any(n for counter in (self.created, self.updated, self.deactivated) for n in counter.values())


def stored_values(item: dict, fields: tuple) -> tuple:
    """The values of an object's stored fields (``roster.feed.shape.stored_fields``), as stored:
    text stripped (absent is empty), a date parsed (absent or not a date is None)."""
    values = []
    for path, _column, kind in fields:
        value = item.get(path[0])
        for step in path[1:]:
            value = value.get(step) if isinstance(value, dict) else None
        values.append(_STORED_AS[kind](value))
    return tuple(values)


def _date(value: Any) -> dt.date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


_STORED_AS = {TEXT: clean_text, DATE: _date}


def person_names(person: dict) -> tuple[str, str, str, str]:
    """first_name, infix, last_name, initials."""
    data = person.get("persoonsgegevens") or {}
    return (
        clean_text(data.get("voornaam")),
        clean_text(data.get("voorvoegsel")),
        clean_text(data.get("achternaam")),
        clean_text(data.get("voorletters")),
    )


def sync_pairs(
    model, columns: tuple[str, str], have: dict[tuple, int], want: set[tuple], owner: dict[int, ApplyResult], label: str
) -> None:
    """Make a pair table hold ``want``: delete the other pairs of ``have`` (pair → row id), insert the missing.
    ``owner`` tells by the pair's first id which school's result counts it."""
    remove = []
    for pair, pk in have.items():
        if pair not in want:
            remove.append(pk)
            owner[pair[0]].deactivated[label] += 1
    add = sorted(pair for pair in want if pair not in have)
    for pair in add:
        owner[pair[0]].created[label] += 1
    delete_pks(model, remove)
    insert_rows(model, columns, add)
