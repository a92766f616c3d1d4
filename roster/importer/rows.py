"""What the import's steps share: the result of one school, the feed's text as stored, and pair tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from roster.bulk import delete_pks, insert_rows
from roster.models import School


@dataclass
class ApplyResult:
    school: School | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deactivated: Counter = field(default_factory=Counter)
    moved_pupils: int = 0
    moved_pupil_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(n for counter in (self.created, self.updated, self.deactivated) for n in counter.values())


def clean_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


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
