"""Names of pupils as lists show them, told apart where two children share one.

A class can hold two "Bakker, Milan"; a licence or a login code must not go to the wrong one.
The roster carries no date of birth, but every pupil has the school's own pupil number (the
LAS key) and a Basispoort id, so a shared name gets the last digits of that number.
"""

from __future__ import annotations

import re
import unicodedata
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


# Letters that Unicode does not decompose into a base letter and an accent, but that a Dutch
# keyboard types as the plain letter: "Yılmaz" is typed "yilmaz", "Søren" "soren".
_PLAIN_LETTERS = str.maketrans(
    {"ı": "i", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
)
_DIGITS = re.compile(r"(\d+)")
_WORD = re.compile(r"\w+")
_LEVEL = re.compile(r"[0-9]{1,2}")


def folded(text: str) -> str:
    """``text`` as a search compares it: without case or accents ("Zoë" → "zoe", "Yılmaz" → "yilmaz")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def search_words(query: str) -> list[str]:
    """The words of a search, folded; punctuation (the comma of "Bakker, Milan", the "…" and
    brackets of a pupil number as lists show it) only separates words, and the words the list
    puts around a pupil number ("lln.nr.") are not part of any name."""
    around_number = set(_WORD.findall(folded(_("%(name)s (lln.nr. %(number)s)") % {"name": "", "number": ""})))
    return [word for word in _WORD.findall(folded(query)) if word not in around_number]


def natural_key(text: str) -> tuple:
    """Sort key in which numbers count as numbers: "Groep 4/5" before "Groep 8" before "Groep 10"."""
    parts = _DIGITS.split(folded(text))
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


class OrderedGroup(Protocol):
    name: str
    jaargroep: str
    is_subgroup: bool


def group_order(group: OrderedGroup) -> tuple:
    """Groups as a school lists them: by year level — the jaargroep, or for a combination group
    without one the first number in its name ("Groep 4/5" → 4) —, then by name, numbers as numbers;
    subgroups (Plusklas) after the groups."""
    level = group.jaargroep if _LEVEL.fullmatch(group.jaargroep) else next(iter(_LEVEL.findall(group.name)), "")
    return (group.is_subgroup, int(level) if level else 99, natural_key(group.name))
