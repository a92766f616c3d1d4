"""The feed's shape: every known field's type and length, checked before anything else is read.

``roster/feed/roster.schema.json`` says the same for outside tools (the property tests use it
as their oracle). A document with a known field of the wrong type, out of range or too long is
refused whole (``check_shape``); text XML cannot carry is removed with a warning
(``strip_unsafe_text``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from django.utils.dateparse import parse_date

from roster.feed.documents import SchoolDocument
from roster.feed.problems import ErrorCode, InvalidSchool, WarningCode, Warnings

# Text that XML 1.0 cannot carry (and PostgreSQL cannot store: NUL): C0 controls other than tab,
# newline and carriage return, lone surrogates, and the non-characters U+FFFE and U+FFFF.
XML_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_ID = 2**63 - 1
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT = "text"
ID = "id"
BOOL = "bool"
KEYS = "keys"  # a list of text
PERSON = {"voornaam": (TEXT, 100), "voorvoegsel": (TEXT, 30), "achternaam": (TEXT, 150), "voorletters": (TEXT, 30)}
META = {"mutationTimestamp": (TEXT, 64), "generationTimestamp": (TEXT, 64)}
GROUP = {"lasKey": (TEXT, 64), "naam": (TEXT, 100), "jaargroep": (TEXT, 16), "omschrijving": (TEXT, 200)}
PUPIL = {
    "id": (ID, None),
    "eckid": (TEXT, 256),
    "lasKey": (TEXT, 64),
    "persoonsgegevens": (PERSON, None),
    "jaargroep": (TEXT, 16),
    "groep": (TEXT, 64),
    "subgroepen": (KEYS, 64),
}
STAFF = {
    "id": (ID, None),
    "eckid": (TEXT, 256),
    "lasKey": (TEXT, 64),
    "persoonsgegevens": (PERSON, None),
    "emailadres": (TEXT, 254),
    "einddatum": (TEXT, 10),
    "rollen": (KEYS, 20),
    "groepen": (KEYS, 64),
    "subgroepen": (KEYS, 64),
}
ROSTER = {
    "groepen": ([GROUP], None),
    "subgroepen": ([GROUP], None),
    "leerlingen": ([PUPIL], None),
    "medewerkers": ([STAFF], None),
    "actief": (BOOL, None),
    "gefuseerdNaar": (ID, None),
    "metaResult": (META, None),
}
DETAILS = {
    "naam": (TEXT, 200),
    "straat": (TEXT, 200),
    "huisnummer": (TEXT, 20),
    "huisnummertoevoeging": (TEXT, 20),
    "postcode": (TEXT, 10),
    "woonplaats": (TEXT, 100),
    "brincode": (TEXT, 64),
    "dependancecode": (TEXT, 64),
    "schoolkey": (TEXT, 64),
    "instellingRef": (TEXT, 64),
    "bestuurscode": (TEXT, 20),
    "actief": (BOOL, None),
    "gefuseerdNaar": (ID, None),
    "metaResult": (META, None),
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _wrong(path: str, value: Any, expected: str) -> InvalidSchool:
    return InvalidSchool(ErrorCode.WRONG_TYPE, f"{path} is {_kind(value)}, expected {expected}")


def _check(value: Any, spec: Any, limit: int | None, path: str) -> None:
    """Every known field: null, or of its type and within its column; unknown fields are ignored."""
    if value is None:
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise _wrong(path, value, "an object")
        for name, (sub, sub_limit) in spec.items():
            _check(value.get(name), sub, sub_limit, f"{path}.{name}")
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise _wrong(path, value, "a list")
        for index, item in enumerate(value):
            _check(item, spec[0], None, f"{path}[{index}]")
    elif spec == TEXT:
        if not isinstance(value, str):
            raise _wrong(path, value, "text")
        if limit is not None and len(value) > limit:
            raise InvalidSchool(ErrorCode.TOO_LONG, f"{path} is longer than {limit} characters")
    elif spec == ID:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(path, value, "a whole number")
        if not 0 < value <= MAX_ID:
            raise InvalidSchool(ErrorCode.WRONG_TYPE, f"{path} is {value}, outside 1..{MAX_ID}")
    elif spec == BOOL:
        if not isinstance(value, bool):
            raise _wrong(path, value, "true or false")
    elif spec == KEYS:
        if not isinstance(value, list):
            raise _wrong(path, value, "a list")
        for index, item in enumerate(value):
            if item is None:
                raise _wrong(path + f"[{index}]", item, "text")
            _check(item, TEXT, limit, f"{path}[{index}]")


def _fitter(spec: Any, limit: int | None) -> Callable[[Any], bool]:
    """``_check`` without building a path for every field: a function saying whether a value
    passes, built once per part of the shape. The nightly import walks every field of 1.4 million
    pupils; only a school that fails is walked again by ``_check`` to say where. A value of None
    passes everywhere; callers skip it before calling."""
    if isinstance(spec, dict):
        # Text fields are checked in the object's own loop, the rest by their own function.
        texts = tuple((name, sub_limit) for name, (sub, sub_limit) in spec.items() if sub == TEXT)
        others = tuple((name, _fitter(sub, sub_limit)) for name, (sub, sub_limit) in spec.items() if sub != TEXT)

        def fits_object(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            get = value.get
            for name, most in texts:
                item = get(name)
                if item is not None and not (isinstance(item, str) and (most is None or len(item) <= most)):
                    return False
            for name, fits in others:
                item = get(name)
                if item is not None and not fits(item):
                    return False
            return True

        return fits_object
    if isinstance(spec, list):
        inner = _fitter(spec[0], None)

        def fits_list(value: Any) -> bool:
            if not isinstance(value, list):
                return False
            for item in value:  # noqa: SIM110 - a loop is quicker than all() over a generator here
                if item is not None and not inner(item):
                    return False
            return True

        return fits_list
    if spec == TEXT:
        return lambda value: isinstance(value, str) and (limit is None or len(value) <= limit)
    if spec == ID:
        return lambda value: not isinstance(value, bool) and isinstance(value, int) and 0 < value <= MAX_ID
    if spec == BOOL:
        return lambda value: isinstance(value, bool)
    if spec == KEYS:
        return lambda value: (
            isinstance(value, list)
            and all(isinstance(item, str) and (limit is None or len(item) <= limit) for item in value)
        )
    return lambda value: True


_ROSTER_FITS = _fitter(ROSTER, None)
_DETAILS_FITS = _fitter(DETAILS, None)


def check_shape(doc: SchoolDocument) -> None:
    """Refuse (``InvalidSchool``) a document with a known field of the wrong type, out of range or too long."""
    if not (_ROSTER_FITS(doc.roster) and _DETAILS_FITS(doc.details)):
        _check(doc.roster, ROSTER, None, "roster")
        _check(doc.details, DETAILS, None, "details")
    for index, person in enumerate(doc.roster.get("medewerkers") or []):
        end = person.get("einddatum")
        if end is not None and not _is_date(end):
            raise InvalidSchool(ErrorCode.WRONG_TYPE, f"roster.medewerkers[{index}].einddatum is not a date")


def _is_date(value: str) -> bool:
    """An ISO 8601 full date (2026-07-31), as JSON Schema's ``date`` format means it."""
    try:
        return bool(ISO_DATE_RE.match(value)) and parse_date(value) is not None
    except ValueError:
        return False


def strip_unsafe_text(doc: SchoolDocument, warnings: Warnings) -> None:
    """Remove characters XML 1.0 cannot carry from every text of the documents (in place), with a warning.

    A pupil's name or key travels on to the LVS in UWLR messages, and PostgreSQL cannot store NUL;
    removing the character keeps the pupil, and the warning tells the school what to correct.
    """

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, str):
            if XML_UNSAFE_RE.search(value):
                warnings.add(WarningCode.INVALID_CHARACTERS, path)
                return XML_UNSAFE_RE.sub("", value)
            return value
        if isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = clean(item, f"{path}[{index}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                value[key] = clean(item, f"{path}.{key}")
        return value

    if _may_hold_unsafe(doc.roster) or _may_hold_unsafe(doc.details):
        clean(doc.roster, "roster")
        clean(doc.details, "details")


# How orjson writes the characters XML_UNSAFE_RE finds: control characters escaped (\u00XX,
# \b, \f), U+FFFE and U+FFFF as themselves; it refuses lone surrogates.
_UNSAFE_IN_JSON = (b"\\u00", b"\\b", b"\\f", "\ufffe".encode(), "\uffff".encode())


def _may_hold_unsafe(value: Any) -> bool:
    """False only when no text in ``value`` can hold a character XML cannot carry: one pass of
    orjson over the document instead of a Python walk of every text. True sends it to the walk."""
    try:
        written = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return True
    return any(marker in written for marker in _UNSAFE_IN_JSON)
