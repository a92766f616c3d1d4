"""The demo world one school year on: each demo school's new group division, pupils moved up,
some staying back or moving away, and new pupils, for the "Nieuw schooljaar" demo and tests."""

from __future__ import annotations

import json
import random

from demo.world import FIRST_NAMES, SURNAMES, _person, demo_schools
from roster.feed import SchoolDocument

# Per demo school, the group division of the coming school year: (las key suffix, name,
# jaargroep, the year levels of the pupils it takes). Groups that keep their key but get a new
# name and jaargroep are "renamed" (the class moves up with its teacher); "Groep 4/5" and
# "Groep 7/8" are new combinations; a new key is a new group.
FULL_NEXT = [
    ("1", "Groep 1/2a", None, ["1", "2"]),
    ("2", "Groep 1/2b", None, ["1", "2"]),
    ("9", "Groep 3", "3", ["3"]),
    ("3", "Groep 4/5", None, ["4", "5"]),
    ("5", "Groep 6", "6", ["6"]),
    ("6", "Groep 7", "7", ["7"]),
    ("7", "Groep 8", "8", ["8"]),
]
FULL_SUCCESSORS = {"4": "3", "8": "9"}  # teachers of a group that ends get this group
SMALL_NEXT = [
    ("1", "Groep 1/2", None, ["1", "2"]),
    ("2", "Groep 3/4", None, ["3", "4"]),
    ("3", "Groep 5/6", None, ["5", "6"]),
    ("4", "Groep 7/8", None, ["7", "8"]),
]
SMALL_SUCCESSORS = {"5": "4"}
NEW_PUPILS = 12


def stays_back(position: int) -> bool:
    """Which pupils of a demo school repeat their year (by their place in the feed)."""
    return position % 29 == 3


def moves_away(position: int) -> bool:
    """Which pupils of a demo school leave for another school over the summer."""
    return position % 37 == 5


def move_up_a_year(
    doc: SchoolDocument,
    index: int,
    division: list[tuple[str, str, str | None, list[str]]],
    successors: dict[str, str],
    mutation_timestamp: str,
) -> SchoolDocument:
    """The same school one school year later: group 8 left, a few pupils moved away or stayed
    back, everyone else went up one jaargroep, new pupils arrived in group 1, and the groups
    follow ``division``."""
    rng = random.Random(doc.basispoort_id * 31)  # noqa: S311
    prefix = f"G{doc.basispoort_id}-"
    roster = json.loads(json.dumps(doc.roster))
    details = json.loads(json.dumps(doc.details))
    by_level: dict[str, list[str]] = {}
    for suffix, _name, _level, levels in division:
        for level in levels:
            by_level.setdefault(level, []).append(prefix + suffix)
    pupils = []
    for position, pupil in enumerate(roster["leerlingen"]):
        level = pupil["jaargroep"]
        if level == "8" or moves_away(position):
            continue
        pupil["jaargroep"] = level if stays_back(position) else str(int(level) + 1)
        pupils.append(pupil)
    for k in range(NEW_PUPILS):
        pid = 10_000_000 + index * 10_000 + 9_000 + k
        first = rng.choice(FIRST_NAMES)
        infix, last = rng.choice(SURNAMES)
        pupils.append(
            {
                "id": pid,
                "eckid": f"https://ketenid.nl/201703/{pid:012d}",
                "lasKey": f"L{pid}",
                "persoonsgegevens": _person(pid, first, infix, last),
                "jaargroep": "1",
                "groep": None,
                "subgroepen": [],
            }
        )
    turns: dict[str, int] = {}
    for pupil in pupils:
        candidates = by_level[pupil["jaargroep"]]
        turn = turns.get(pupil["jaargroep"], 0)
        pupil["groep"] = candidates[turn % len(candidates)]
        turns[pupil["jaargroep"]] = turn + 1
    roster["leerlingen"] = pupils
    roster["groepen"] = [
        {"lasKey": prefix + suffix, "naam": name, "jaargroep": level, "omschrijving": None}
        for suffix, name, level, _levels in division
    ]
    kept = {prefix + suffix for suffix, *_ in division}
    for member in roster["medewerkers"]:
        member["groepen"] = [
            key if key in kept else prefix + successors[key.removeprefix(prefix)]
            for key in member["groepen"]
            if key in kept or key.removeprefix(prefix) in successors
        ]
    meta = {"mutationTimestamp": mutation_timestamp, "generationTimestamp": mutation_timestamp}
    roster["metaResult"] = meta
    details["metaResult"] = dict(meta)
    return SchoolDocument(doc.basispoort_id, details, roster)


def next_year_timestamp(school_year: str) -> str:
    """The demo's Basispoort change time in a school year: 20 August, when the new groups arrive."""
    return f"{school_year[:4]}-08-20T02:00:00+02:00"


def demo_schools_next_year(school_year: str) -> list[SchoolDocument]:
    """The three demo schools in ``school_year``, the year after the one ``demo_schools`` shows."""
    stamp = next_year_timestamp(school_year)
    a, b, c = demo_schools()
    return [
        move_up_a_year(a, 1, FULL_NEXT, FULL_SUCCESSORS, stamp),
        move_up_a_year(b, 2, SMALL_NEXT, SMALL_SUCCESSORS, stamp),
        move_up_a_year(c, 3, FULL_NEXT, FULL_SUCCESSORS, stamp),
    ]
