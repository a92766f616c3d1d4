"""A deterministic Dutch demo world, written as Basispoort feed documents.

``random`` here only makes repeatable fake data, never secrets.

The three hand-made schools carry the personas the README and the tests name. The same
generator makes any number of further schools for benchmarks: school ``n`` always looks
the same, whatever else is generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from roster.feed import SchoolDocument

MUTATION_TIMESTAMP = "2026-08-20T02:00:00+02:00"

FIRST_NAMES = [
    "Emma",
    "Julia",
    "Mila",
    "Tess",
    "Sophie",
    "Zoë",
    "Sara",
    "Nora",
    "Yara",
    "Eva",
    "Liv",
    "Lotte",
    "Noah",
    "Daan",
    "Sem",
    "Lucas",
    "Levi",
    "Finn",
    "Luuk",
    "Milan",
    "Bram",
    "Jesse",
    "Thijs",
    "Adam",
    "Fenna",
    "Saar",
    "Noor",
    "Anna",
    "Fleur",
    "Lieke",
    "Ayoub",
    "Mohamed",
    "Ilias",
    "Sven",
    "Ruben",
    "Teun",
    "Jasmijn",
    "Isa",
    "Roos",
    "Elif",
    "Amira",
    "Hiba",
    "Joep",
    "Siem",
    "Mees",
    "Gijs",
    "Stijn",
    "Jurre",
]
SURNAMES = [
    ("", "Jansen"),
    ("de", "Vries"),
    ("van den", "Berg"),
    ("van", "Dijk"),
    ("", "Bakker"),
    ("", "Visser"),
    ("", "Smit"),
    ("", "Meijer"),
    ("de", "Boer"),
    ("", "Mulder"),
    ("de", "Groot"),
    ("", "Bos"),
    ("", "Vos"),
    ("", "Peters"),
    ("", "Hendriks"),
    ("van", "Leeuwen"),
    ("", "Dekker"),
    ("", "Brouwer"),
    ("de", "Wit"),
    ("", "Dijkstra"),
    ("", "Smits"),
    ("de", "Graaf"),
    ("van der", "Meer"),
    ("van der", "Linden"),
    ("", "Kok"),
    ("", "Jacobs"),
    ("de", "Haan"),
    ("", "Vermeulen"),
    ("van den", "Heuvel"),
    ("van der", "Veen"),
    ("van den", "Broek"),
    ("de", "Bruijn"),
    ("", "Yılmaz"),
    ("el", "Amrani"),
    ("", "Bouzid"),
    ("ter", "Horst"),
    ("", "Schouten"),
    ("van", "Beek"),
    ("", "Willems"),
    ("van", "Vliet"),
    ("", "Hoekstra"),
    ("", "Maas"),
]
POSTCODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"
STREETS = ["Schoolstraat", "Kerkweg", "Dorpsstraat", "Molenlaan", "Lindenlaan", "Wilhelminapark", "Beukenhof"]
CITIES = ["Utrecht", "Amersfoort", "Zwolle", "Leiden", "Tilburg", "Groningen", "Arnhem", "Breda", "Delft"]
SCHOOL_WORDS = [
    "De Regenboog",
    "Het Kompas",
    "De Wilgenhoek",
    "De Zonnebloem",
    "Het Palet",
    "De Klimop",
    "De Horizon",
    "De Vlinder",
    "Het Anker",
    "De Toermalijn",
    "De Sterrenwachter",
    "Het Baken",
]


@dataclass(frozen=True)
class Persona:
    basispoort_id: int
    first_name: str
    infix: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.infix, self.last_name) if p)


# Personas the README, the dev identity provider and the tests refer to.
DEMO_COORDINATOR = Persona(200001, "Sanne", "de", "Vries", "s.devries@regenboog.example.nl")
DEMO_TEACHER = Persona(200002, "Mark", "", "Jansen", "m.jansen@regenboog.example.nl")
DEMO_TEACHER_COORDINATOR = Persona(200003, "Fatima", "el", "Amrani", "f.elamrani@wilgenhoek.example.nl")
SCHOOL_A, SCHOOL_B, SCHOOL_C = 100001, 100002, 100003


def _person(pid: int, first: str, infix: str, last: str) -> dict:
    initials = f"{first[0]}."
    return {"achternaam": last, "voornaam": first, "voorvoegsel": infix or None, "voorletters": initials}


def _staff(
    persona: Persona | None, pid: int, las_key: str, names: dict, email: str, roles: list[str], groups: list[str]
) -> dict:
    return {
        "id": pid,
        "eckid": f"https://ketenid.nl/201703/{pid:012d}",
        "lasKey": las_key,
        "persoonsgegevens": names,
        "emailadres": email,
        "einddatum": None,
        "rollen": roles,
        "groepen": groups,
        "subgroepen": [],
    }


def _details(school_id: int, name: str, brin: str, dep: str, city: str, rng: random.Random) -> dict:
    return {
        "naam": name,
        "straat": rng.choice(STREETS),
        "huisnummer": str(rng.randint(1, 120)),
        "huisnummertoevoeging": None,
        "postcode": f"{rng.randint(1000, 9999)} {''.join(rng.choices(POSTCODE_LETTERS, k=2))}",
        "woonplaats": city,
        "brincode": brin,
        "dependancecode": dep,
        "schoolkey": f"SK{school_id}",
        "instellingRef": f"IR{school_id}",
        "bestuurscode": f"{40000 + school_id % 1000}",
        "actief": True,
        "gefuseerdNaar": None,
        "metaResult": {"mutationTimestamp": MUTATION_TIMESTAMP, "generationTimestamp": MUTATION_TIMESTAMP},
    }


def build_school(
    school_id: int,
    index: int,
    name: str,
    brin: str,
    dep: str,
    city: str,
    layout: list[tuple[str, str | None, list[str]]],
    pupils_per_group: int,
    special_staff: list[tuple[Persona, list[str], list[str]]] = (),
) -> SchoolDocument:
    """One school. ``layout`` is (group name, group jaargroep, pupil year levels) per group."""
    rng = random.Random(school_id)  # noqa: S311
    domain = name.lower().replace(" ", "").replace("'", "") + ".example.nl"
    groepen, leerlingen, medewerkers = [], [], []
    special_groups = {key for _, _, groups in special_staff for key in groups}
    for g_index, (group_name, jaargroep, levels) in enumerate(layout):
        las_key = f"G{school_id}-{g_index + 1}"
        groepen.append({"lasKey": las_key, "naam": group_name, "jaargroep": jaargroep, "omschrijving": None})
        for p_index in range(pupils_per_group):
            pid = 10_000_000 + index * 10_000 + g_index * 100 + p_index
            first = rng.choice(FIRST_NAMES)
            infix, last = rng.choice(SURNAMES)
            leerlingen.append(
                {
                    "id": pid,
                    "eckid": f"https://ketenid.nl/201703/{pid:012d}",
                    "lasKey": f"L{pid}",
                    "persoonsgegevens": _person(pid, first, infix, last),
                    "jaargroep": levels[p_index % len(levels)],
                    "groep": las_key,
                    "subgroepen": [],
                }
            )
        if las_key not in special_groups:
            tid = 300_000 + index * 100 + g_index
            first = rng.choice(FIRST_NAMES)
            infix, last = rng.choice(SURNAMES)
            email = f"{first[0].lower()}.{(infix + last).replace(' ', '').lower()}{g_index}@{domain}"
            medewerkers.append(
                _staff(None, tid, f"M{tid}", _person(tid, first, infix, last), email, ["Leerkracht"], [las_key])
            )
    plus_key = f"G{school_id}-plus"
    groepen_sub = [{"lasKey": plus_key, "naam": "Plusklas", "jaargroep": None, "omschrijving": "Verrijking"}]
    for pupil in leerlingen[:: max(1, len(leerlingen) // 6)][:6]:
        pupil["subgroepen"] = [plus_key]
    for persona, roles, groups in special_staff:
        medewerkers.append(
            _staff(
                persona,
                persona.basispoort_id,
                f"M{persona.basispoort_id}-{school_id}",
                _person(persona.basispoort_id, persona.first_name, persona.infix, persona.last_name),
                persona.email,
                roles,
                groups,
            )
        )
    roster = {
        "groepen": groepen,
        "subgroepen": groepen_sub,
        "leerlingen": leerlingen,
        "medewerkers": medewerkers,
        "actief": True,
        "gefuseerdNaar": None,
        "metaResult": {"mutationTimestamp": MUTATION_TIMESTAMP, "generationTimestamp": MUTATION_TIMESTAMP},
    }
    return SchoolDocument(school_id, _details(school_id, name, brin, dep, city, rng), roster)


FULL_LAYOUT = [
    ("Groep 1/2a", None, ["1", "2"]),
    ("Groep 1/2b", None, ["1", "2"]),
    ("Groep 3", "3", ["3"]),
    ("Groep 4", "4", ["4"]),
    ("Groep 5", "5", ["5"]),
    ("Groep 6", "6", ["6"]),
    ("Groep 7", "7", ["7"]),
    ("Groep 8", "8", ["8"]),
]
SMALL_LAYOUT = [
    ("Groep 1/2", None, ["1", "2"]),
    ("Groep 3/4", None, ["3", "4"]),
    ("Groep 5/6", None, ["5", "6"]),
    ("Groep 7", "7", ["7"]),
    ("Groep 8", "8", ["8"]),
]


def demo_schools() -> list[SchoolDocument]:
    """The three schools of the demo, with the personas in place."""
    a_group5 = f"G{SCHOOL_A}-5"
    c_group7 = f"G{SCHOOL_C}-7"
    return [
        build_school(
            SCHOOL_A,
            1,
            "De Regenboog",
            "12AB",
            "00",
            "Utrecht",
            FULL_LAYOUT,
            25,
            [
                (DEMO_COORDINATOR, ["ICTCoordinator"], []),
                (DEMO_TEACHER, ["Leerkracht"], [a_group5]),
            ],
        ),
        build_school(
            SCHOOL_B,
            2,
            "Het Kompas",
            "12AB",
            "01",
            "Utrecht",
            SMALL_LAYOUT,
            24,
            [
                (DEMO_COORDINATOR, ["ICTCoordinator"], []),
            ],
        ),
        build_school(
            SCHOOL_C,
            3,
            "De Wilgenhoek",
            "34CD",
            "00",
            "Amersfoort",
            FULL_LAYOUT,
            26,
            [
                (DEMO_TEACHER_COORDINATOR, ["Leerkracht", "ICTCoordinator"], [c_group7]),
            ],
        ),
    ]


def generated_school(index: int, groups: int = 12, pupils_per_group: int = 19, extra_staff: int = 0) -> SchoolDocument:
    """School number ``index`` (from 4 on) of a generated country, for benchmarks.

    ``extra_staff`` adds staff without a group (intern begeleiders, invallers), as real schools have.
    """
    rng = random.Random(index)  # noqa: S311
    school_id = 100_000 + index
    letters = "ABCDEFGHJKLMNPRSTVWXZ"
    brin = f"{index % 100:02d}{letters[(index // 100) % len(letters)]}{letters[(index // 2100) % len(letters)]}"
    layout = [(f"Groep {1 + i % 8}{'abcdefgh'[i // 8]}", str(1 + i % 8), [str(1 + i % 8)]) for i in range(groups)]
    name = f"{rng.choice(SCHOOL_WORDS)} {index}"
    doc = build_school(school_id, index, name, brin, "00", rng.choice(CITIES), layout, pupils_per_group)
    for k in range(extra_staff):
        sid = 300_000 + index * 100 + 50 + k
        first = rng.choice(FIRST_NAMES)
        infix, last = rng.choice(SURNAMES)
        doc.roster["medewerkers"].append(
            _staff(
                None,
                sid,
                f"M{sid}",
                _person(sid, first, infix, last),
                f"staf{k}@school{index}.example.nl",
                ["IBRTer"] if k % 2 else ["Inval"],
                [],
            )
        )
    return doc
