"""Small hand-made Basispoort feeds for the roster import tests.

A test describes a school in a few lines (groups, pupils, staff) and writes it as a folder
feed; every document has the shape of the partner API, so the import reads it as it would
read Basispoort.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

from roster.feed import FolderSource, SchoolDocument, write_folder
from roster.importer import sync_roster

_stamps = itertools.count(1)


def stamp() -> str:
    """A fresh mutationTimestamp: every call is a later change in the school administration."""
    n = next(_stamps)
    return f"2026-09-{1 + n // 1440:02d}T{(n // 60) % 24:02d}:{n % 60:02d}:00+02:00"


def group(las_key: str, name: str | None = None, jaargroep: str | None = "5") -> dict:
    return {"lasKey": las_key, "naam": name or las_key, "jaargroep": jaargroep, "omschrijving": None}


def pupil(pid: int, group_key: str | None, first: str = "Emma", last: str = "Visser", **extra) -> dict:
    return {
        "id": pid,
        "eckid": None,
        "lasKey": f"L{pid}",
        "persoonsgegevens": {"voornaam": first, "voorvoegsel": None, "achternaam": last, "voorletters": first[0]},
        "jaargroep": extra.pop("jaargroep", "5"),
        "groep": group_key,
        "subgroepen": extra.pop("subgroepen", []),
        **extra,
    }


def staff(sid: int, roles: list[str], groups: list[str] = (), email: str | None = "auto", **extra) -> dict:
    return {
        "id": sid,
        "eckid": None,
        "lasKey": f"M{sid}",
        "persoonsgegevens": {"voornaam": "Ilse", "voorvoegsel": None, "achternaam": f"Bakker{sid}"},
        "emailadres": f"m{sid}@school.example.nl" if email == "auto" else email,
        "einddatum": None,
        "rollen": roles,
        "groepen": list(groups),
        "subgroepen": [],
        **extra,
    }


def school(
    bp_id: int,
    *,
    groups: list[dict] = (),
    pupils: list[dict] = (),
    staff: list[dict] = (),
    subgroups: list[dict] = (),
    timestamp: str | None = None,
    name: str = "De Regenboog",
    brin: str = "12AB",
    dependancecode: str = "00",
    actief: bool = True,
    merged_into: int | None = None,
) -> SchoolDocument:
    meta = {"mutationTimestamp": timestamp or stamp(), "generationTimestamp": "2026-09-01T02:00:00+02:00"}
    roster = {
        "groepen": list(groups),
        "subgroepen": list(subgroups),
        "leerlingen": list(pupils),
        "medewerkers": list(staff),
        "actief": actief,
        "gefuseerdNaar": merged_into,
        "metaResult": meta,
    }
    details = {
        "naam": name,
        "straat": "Schoolstraat",
        "huisnummer": "1",
        "huisnummertoevoeging": None,
        "postcode": "3511 AB",
        "woonplaats": "Utrecht",
        "brincode": brin,
        "dependancecode": dependancecode,
        "schoolkey": f"SK{bp_id}",
        "instellingRef": f"IR{bp_id}",
        "bestuurscode": "41000",
        "actief": actief,
        "gefuseerdNaar": merged_into,
        "metaResult": meta,
    }
    return SchoolDocument(bp_id, details, roster)


def later(doc: SchoolDocument) -> SchoolDocument:
    """The same school's documents (deep copies) with a fresh, later mutationTimestamp."""
    doc = SchoolDocument(doc.basispoort_id, copy.deepcopy(doc.details), copy.deepcopy(doc.roster))
    meta = {"mutationTimestamp": stamp(), "generationTimestamp": "2026-09-01T02:00:00+02:00"}
    doc.roster["metaResult"] = dict(meta)
    doc.details["metaResult"] = dict(meta)
    return doc


def partial_export(doc: SchoolDocument) -> SchoolDocument:
    """A glitch in the school administration: its first three groups and every second pupil missing."""
    doc = later(doc)
    gone = {g["lasKey"] for g in doc.roster["groepen"][:3]}
    doc.roster["groepen"] = doc.roster["groepen"][3:]
    doc.roster["leerlingen"] = [
        p for n, p in enumerate(doc.roster["leerlingen"]) if n % 2 == 0 and p["groep"] not in gone
    ]
    return doc


def write_feed(root: Path, docs: list[SchoolDocument]) -> FolderSource:
    write_folder(root, docs)
    return FolderSource(root)


def replace_roster_bytes(root: Path, bp_id: int, data: bytes) -> None:
    (root / "instellingen" / f"{bp_id}.json").write_bytes(data)


def import_feed(root: Path, docs: list[SchoolDocument] | None = None, **kwargs):
    """Write ``docs`` (when given) and run the import over the folder; returns (run, summary)."""
    if docs is not None:
        write_folder(root, docs)
    return sync_roster(FolderSource(root), trigger="test", **kwargs)
