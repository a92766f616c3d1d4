"""Parse and check one school's documents before anything touches the database.

Hard problems refuse the school as a whole (``InvalidSchool``): the school keeps exactly the
data it had. Soft problems become warnings, stored with the import result and shown to the
coordinator as what to fix in the school administration (see ``roster.reports``). Warnings
are grouped per kind with a count and a few examples, so one sloppy file cannot flood the log.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from roster.feed import RawSchool, SchoolDocument
from roster.models import Role

BRIN_RE = re.compile(r"^\d{2}[A-Z]{2}$")
DEPENDANCECODE_RE = re.compile(r"^\d{2}$")
# Primary school levels and the special codes the LAS packages use; anything else is kept as text and warned about.
KNOWN_YEAR_LEVELS = frozenset({"0", "1", "2", "3", "4", "5", "6", "7", "8", "S", "V"})
MAX_EXAMPLES = 5


class WarningCode:
    PUPIL_UNKNOWN_GROUP = "pupil_unknown_group"
    PUPIL_WITHOUT_GROUP = "pupil_without_group"
    STAFF_WITHOUT_EMAIL = "staff_without_email"
    STAFF_SHARED_EMAIL = "staff_shared_email"
    GROUP_WITHOUT_TEACHER = "group_without_teacher"
    GROUP_WITHOUT_KEY = "group_without_key"
    BRIN_INVALID = "brin_invalid"
    DEPENDANCECODE_INVALID = "dependancecode_invalid"
    UNKNOWN_YEAR_LEVEL = "unknown_year_level"
    UNKNOWN_ROLE = "unknown_role"


class ErrorCode:
    INVALID_JSON = "invalid_json"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    SOURCE = "source"
    DATABASE = "database"


class InvalidSchool(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Warnings:
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, code: str, example: str = "") -> None:
        self.counts[code] += 1
        if example and len(self.examples[code]) < MAX_EXAMPLES:
            self.examples[code].append(example)

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"code": code, "count": count, "examples": self.examples.get(code, [])}
            for code, count in sorted(self.counts.items())
        ]


def parse_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidSchool(ErrorCode.INVALID_JSON, f"{what}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise InvalidSchool(ErrorCode.INVALID_JSON, f"{what}: expected a JSON object")
    return value


def mutation_timestamp(roster: dict[str, Any], details: dict[str, Any]) -> str | None:
    meta = roster.get("metaResult") or details.get("metaResult") or {}
    return meta.get("mutationTimestamp") if isinstance(meta, dict) else None


def parse_school(raw: RawSchool) -> SchoolDocument:
    """Turn bytes into documents; refuses anything that is not two JSON objects."""
    return SchoolDocument(
        raw.basispoort_id,
        details=parse_json(raw.details, "details"),
        roster=parse_json(raw.roster, "roster"),
    )


def _list(doc: dict, key: str) -> list:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidSchool(ErrorCode.INVALID_JSON, f"roster: '{key}' is not a list")
    if not all(isinstance(item, dict) for item in value):
        raise InvalidSchool(ErrorCode.INVALID_JSON, f"roster: '{key}' holds something that is not an object")
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _name(person: dict) -> str:
    data = person.get("persoonsgegevens") or {}
    if not isinstance(data, dict):
        return _text(person.get("id"))
    return " ".join(_text(data.get(k)) for k in ("voornaam", "voorvoegsel", "achternaam") if data.get(k))


def _ids(items: list[dict], kind: str) -> None:
    seen: set[int] = set()
    duplicates: list[str] = []
    for index, item in enumerate(items):
        raw = item.get("id")
        if raw is None or isinstance(raw, bool):
            raise InvalidSchool(ErrorCode.MISSING_ID, f"{kind} #{index + 1} ({_name(item) or '?'}) has no id")
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidSchool(ErrorCode.MISSING_ID, f"{kind} #{index + 1} has id {raw!r}, not a number") from exc
        if value in seen:
            duplicates.append(str(value))
        seen.add(value)
    if duplicates:
        raise InvalidSchool(
            ErrorCode.DUPLICATE_ID, f"{kind}: id(s) {', '.join(duplicates[:MAX_EXAMPLES])} occur more than once"
        )


def validate_school(doc: SchoolDocument) -> list[dict[str, Any]]:
    """Raise ``InvalidSchool`` for what refuses the school; return the warnings otherwise."""
    roster, details = doc.roster, doc.details
    groups, subgroups = _list(roster, "groepen"), _list(roster, "subgroepen")
    pupils, staff = _list(roster, "leerlingen"), _list(roster, "medewerkers")
    _ids(pupils, "leerling")
    _ids(staff, "medewerker")
    warnings = Warnings()

    keys: set[str] = set()
    for group in groups + subgroups:
        key = _text(group.get("lasKey"))
        if not key:
            warnings.add(WarningCode.GROUP_WITHOUT_KEY, _text(group.get("naam")))
        elif key in keys:
            raise InvalidSchool(ErrorCode.DUPLICATE_ID, f"group lasKey {key!r} occurs more than once")
        else:
            keys.add(key)
        level = _text(group.get("jaargroep"))
        if level and level not in KNOWN_YEAR_LEVELS:
            warnings.add(WarningCode.UNKNOWN_YEAR_LEVEL, f"{_text(group.get('naam'))}: {level}")

    for pupil in pupils:
        group = _text(pupil.get("groep"))
        if not group:
            warnings.add(WarningCode.PUPIL_WITHOUT_GROUP, _name(pupil))
        elif group not in keys:
            warnings.add(WarningCode.PUPIL_UNKNOWN_GROUP, f"{_name(pupil)}: {group}")
        for sub in pupil.get("subgroepen") or []:
            if _text(sub) not in keys:
                warnings.add(WarningCode.PUPIL_UNKNOWN_GROUP, f"{_name(pupil)}: {_text(sub)}")
        level = _text(pupil.get("jaargroep"))
        if level and level not in KNOWN_YEAR_LEVELS:
            warnings.add(WarningCode.UNKNOWN_YEAR_LEVEL, f"{_name(pupil)}: {level}")

    emails: dict[str, list[str]] = defaultdict(list)
    taught: set[str] = set()
    for person in staff:
        email = _text(person.get("emailadres")).lower()
        if email:
            emails[email].append(_name(person))
        else:
            warnings.add(WarningCode.STAFF_WITHOUT_EMAIL, _name(person))
        for role in person.get("rollen") or []:
            if role not in Role.values:
                warnings.add(WarningCode.UNKNOWN_ROLE, f"{_name(person)}: {role}")
        taught.update(_text(k) for k in person.get("groepen") or [])
        taught.update(_text(k) for k in person.get("subgroepen") or [])
    for email, names in emails.items():
        if len(names) > 1:
            warnings.add(WarningCode.STAFF_SHARED_EMAIL, f"{email}: {', '.join(names)}")

    for group in groups:
        key = _text(group.get("lasKey"))
        if key and key not in taught:
            warnings.add(WarningCode.GROUP_WITHOUT_TEACHER, _text(group.get("naam")) or key)

    brin = _text(details.get("brincode"))
    if not BRIN_RE.match(brin):
        warnings.add(WarningCode.BRIN_INVALID, brin)
    dependancecode = _text(details.get("dependancecode"))
    if dependancecode and not DEPENDANCECODE_RE.match(dependancecode):
        warnings.add(WarningCode.DEPENDANCECODE_INVALID, dependancecode)
    return warnings.as_list()
