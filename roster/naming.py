"""Names of pupils as lists show them, told apart where two children share one.

A class can hold two "Bakker, Milan"; a licence or a login code must not go to the wrong one.
The roster carries no date of birth, but every pupil has the school's own pupil number (the
LAS key) and a Basispoort id, so a shared name gets the last digits of that number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

from django.utils.translation import gettext as _

TAIL = 4


class NamedPupil(Protocol):
    sort_name: str
    las_key: str
    basispoort_id: int


def pupil_number(las_key: str, basispoort_id: int | None) -> str:
    return las_key or (str(basispoort_id) if basispoort_id is not None else "")


def labels(entries: Sequence[tuple[str, str]]) -> list[str]:
    """For (name, pupil number) pairs, the name as shown: with the number's tail when the name repeats."""
    counts = Counter(name for name, _number in entries)
    shared_tails: dict[str, Counter] = defaultdict(Counter)
    for name, number in entries:
        if counts[name] > 1:
            shared_tails[name][number[-TAIL:]] += 1
    shown = []
    for name, number in entries:
        if counts[name] == 1 or not number:
            shown.append(name)
            continue
        tail = number[-TAIL:]
        # Two numbers ending alike: the whole number, so the two still differ.
        digits = tail if shared_tails[name][tail] == 1 and len(number) > TAIL else number
        prefix = "…" if digits != number else ""
        shown.append(_("%(name)s (lln.nr. %(number)s)") % {"name": name, "number": prefix + digits})
    return shown


def label_pupils(pupils: Iterable[NamedPupil], name: str = "sort_name", attribute: str = "label") -> list:
    """Set ``label`` on each pupil (the list is what is compared) and return them as a list."""
    pupils = list(pupils)
    shown = labels([(getattr(p, name), pupil_number(p.las_key, p.basispoort_id)) for p in pupils])
    for pupil, label in zip(pupils, shown, strict=True):
        setattr(pupil, attribute, label)
    return pupils
