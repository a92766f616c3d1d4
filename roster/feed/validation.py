"""Parse and check one school's documents before anything touches the database.

Hard problems refuse the school as a whole (``InvalidSchool``): the school keeps exactly the
data it had. Soft problems become warnings, stored with the import result and shown to the
coordinator as what to fix in the school administration (see ``roster.reports``). What can be
found is ``roster.feed.problems``; the shape every field must have is ``roster.feed.shape``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

import orjson
from django.utils.dateparse import parse_datetime

from roster.feed.documents import RawSchool, SchoolDocument
from roster.feed.problems import MAX_EXAMPLES, ErrorCode, InvalidSchool, WarningCode, Warnings
from roster.feed.shape import XML_UNSAFE_RE, check_shape, strip_unsafe_text
from roster.models import Role

# Primary school levels and the special codes the LAS packages use; anything else is kept as text and warned about.
from roster.school_year import KNOWN_YEAR_LEVELS

# Role.values builds its list anew on every use.
_ROLES = frozenset(Role.values)
BRIN_RE = re.compile(r"^\d{2}[A-Z]{2}$")
DEPENDANCECODE_RE = re.compile(r"^\d{2}$")

# Callers name the problems and the unsafe-text pattern through this module too.
__all__ = [
    "XML_UNSAFE_RE",
    "ErrorCode",
    "InvalidSchool",
    "WarningCode",
    "Warnings",
    "mutation_timestamp",
    "parse_json",
    "parse_school",
    "source_timestamp",
    "validate_school",
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


def source_timestamp(value: str | None) -> dt.datetime | None:
    """A timestamp of the feed (``mutationTimestamp``) as a datetime; None when absent or not one."""
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def parse_school(raw: RawSchool) -> SchoolDocument:
    """Turn bytes into documents; refuses anything that is not two JSON objects of the feed's shape."""
    doc = SchoolDocument(
        raw.basispoort_id,
        details=parse_json(raw.details, "details"),
        roster=parse_json(raw.roster, "roster"),
    )
    check_shape(doc)
    return doc


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
    warnings = Warnings()
    strip_unsafe_text(doc, warnings)
    roster, details = doc.roster, doc.details
    groups, subgroups = _list(roster, "groepen"), _list(roster, "subgroepen")
    pupils, staff = _list(roster, "leerlingen"), _list(roster, "medewerkers")
    _ids(pupils, "leerling")
    _ids(staff, "medewerker")

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

    text = _text
    for pupil in pupils:
        get = pupil.get
        group = text(get("groep"))
        if not group:
            warnings.add(WarningCode.PUPIL_WITHOUT_GROUP, _name(pupil))
        elif group not in keys:
            warnings.add(WarningCode.PUPIL_UNKNOWN_GROUP, f"{_name(pupil)}: {group}")
        for sub in get("subgroepen") or ():
            if text(sub) not in keys:
                warnings.add(WarningCode.PUPIL_UNKNOWN_GROUP, f"{_name(pupil)}: {text(sub)}")
        level = text(get("jaargroep"))
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
            if role not in _ROLES:
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
