"""Read the people to offer on the login page from a Basispoort roster-feed folder.

The main app writes this folder; the IdP only reads it, on every request, because it is
small and may change while the IdP is running.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

ROLE_LABELS = {
    "Leerkracht": "Leerkracht",
    "ICTCoordinator": "Ict-coördinator",
    "IBRTer": "IB'er/RT'er",
    "Stagiair": "Stagiair",
    "Inval": "Invalkracht",
}


@dataclass
class Appointment:
    """One person's roles at one school."""

    school_name: str
    school_code: str
    roles: list[str]
    einddatum: str | None
    school_id: int | None = None

    def __str__(self):
        roles = ", ".join(ROLE_LABELS.get(role, role) for role in self.roles) or "Geen rol"
        school = f"{self.school_name} ({self.school_code})" if self.school_code else self.school_name
        text = f"{roles} — {school}"
        if self.einddatum:
            text += f", t/m {self.einddatum}"
        return text


@dataclass
class Person:
    basispoort_id: str
    voornaam: str
    voorvoegsel: str
    achternaam: str
    email: str
    appointments: list[Appointment] = field(default_factory=list)

    @property
    def first_name(self):
        return self.voornaam

    @property
    def last_name(self):
        return " ".join(part for part in (self.voorvoegsel, self.achternaam) if part)

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def sort_key(self):
        # Dutch lists sort "Jan van Dijk" under D, so the voorvoegsel is left out.
        return (
            self.achternaam.casefold(),
            self.voornaam.casefold(),
            self.basispoort_id,
        )


@dataclass
class Roster:
    found: bool
    people: list[Person] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def get(self, basispoort_id):
        return next((p for p in self.people if p.basispoort_id == basispoort_id), None)


def _read_json(path: Path):
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _school_label(feed_dir: Path, school_id):
    try:
        details = _read_json(feed_dir / "instellingen" / str(school_id) / "details.json")
    except FileNotFoundError:
        return f"Instelling {school_id}", ""
    code = (details.get("brincode") or "") + (details.get("dependancecode") or "")
    return details.get("naam") or f"Instelling {school_id}", code


def _add_medewerker(people: dict, medewerker: dict, school_name: str, school_code: str, school_id=None):
    basispoort_id = str(medewerker["id"])
    person = people.get(basispoort_id)
    if person is None:
        gegevens = medewerker.get("persoonsgegevens") or {}
        person = people[basispoort_id] = Person(
            basispoort_id=basispoort_id,
            voornaam=gegevens.get("voornaam") or gegevens.get("voorletters") or "",
            voorvoegsel=gegevens.get("voorvoegsel") or "",
            achternaam=gegevens.get("achternaam") or "",
            email="",
        )
    # The same person may lack an address at one school and have one at another.
    if not person.email and medewerker.get("emailadres"):
        person.email = medewerker["emailadres"]
    person.appointments.append(
        Appointment(
            school_name=school_name,
            school_code=school_code,
            roles=list(medewerker.get("rollen") or []),
            einddatum=medewerker.get("einddatum"),
            school_id=school_id,
        )
    )


def load_roster(feed_dir: Path) -> Roster:
    index = feed_dir / "instellingen.json"
    try:
        school_ids = _read_json(index)
    except FileNotFoundError:
        return Roster(found=False)
    except (OSError, ValueError) as exc:
        return Roster(found=False, problems=[f"{index}: {exc}"])

    people: dict[str, Person] = {}
    problems = []
    for school_id in school_ids:
        # One unreadable school (e.g. caught mid-write) should not hide everybody else.
        try:
            school_name, school_code = _school_label(feed_dir, school_id)
            school = _read_json(feed_dir / "instellingen" / f"{school_id}.json")
            for medewerker in school.get("medewerkers") or []:
                _add_medewerker(people, medewerker, school_name, school_code, school_id)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"instelling {school_id}: {exc!r}")
    return Roster(
        found=True,
        people=sorted(people.values(), key=lambda p: p.sort_key),
        problems=problems,
    )
