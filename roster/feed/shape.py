"""The feed's shape: every known field's type and length, checked before anything else is read.

``roster/feed/roster.schema.json`` says the same for outside tools (the property tests use it
as their oracle). A document with a known field of the wrong type, out of range or too long is
refused whole (``check_shape``); text XML cannot carry is removed with a warning
(``strip_unsafe_text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

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
DATE = "date"  # text holding an ISO 8601 full date (2026-07-31)
ID = "id"
BOOL = "bool"
KEYS = "keys"  # a list of text


def clean_text(value: Any) -> str:
    """A text field of the feed as the roster stores it: absent is empty, surrounding space gone
    (the importer and the held-night check read the feed alike)."""
    return "" if value is None else str(value).strip()


class Field(NamedTuple):
    """One known field of the feed: its kind (one of the kinds above, an object — a dict of fields —
    or a list of one such object), the most characters a text may have, the model field the
    importer stores it in (the object's own model; ``None``: not stored as it is), and whether a
    document without it is refused."""

    kind: Any
    limit: int | None = None
    column: str | None = None
    required: bool = False


# The one definition of the feed's shape. The JSON Schema (roster.schema.json) is generated from it
# (``python -m roster.feed.shape``; a test proves the file current), the models' lengths are checked
# against it, and the importer stores every field that names a ``column`` without further code.
PERSON = {
    "voornaam": Field(TEXT, 100, "first_name"),
    "voorvoegsel": Field(TEXT, 30, "infix"),
    "achternaam": Field(TEXT, 150, "last_name"),
    "voorletters": Field(TEXT, 30, "initials"),
}
META = {"mutationTimestamp": Field(TEXT, 64), "generationTimestamp": Field(TEXT, 64)}
GROUP = {
    "lasKey": Field(TEXT, 64, "las_key"),
    "naam": Field(TEXT, 100, "name"),
    "jaargroep": Field(TEXT, 16, "jaargroep"),
    "omschrijving": Field(TEXT, 200, "description"),
}
PUPIL = {
    "id": Field(ID, required=True),
    # Not stored as it is: sealed, with a keyed fingerprint (roster/eckid.py, the importer).
    "eckid": Field(TEXT, 256),
    "lasKey": Field(TEXT, 64, "las_key"),
    "persoonsgegevens": Field(PERSON),
    "jaargroep": Field(TEXT, 16, "jaargroep"),
    "groep": Field(TEXT, 64),
    "subgroepen": Field(KEYS, 64),
}
STAFF = {
    "id": Field(ID, required=True),
    "eckid": Field(TEXT, 256),  # sealed, as a pupil's
    "lasKey": Field(TEXT, 64),
    "persoonsgegevens": Field(PERSON),
    "emailadres": Field(TEXT, 254),
    "einddatum": Field(DATE, 10),
    "rollen": Field(KEYS, 20),
    "groepen": Field(KEYS, 64),
    "subgroepen": Field(KEYS, 64),
}
ROSTER = {
    "groepen": Field([GROUP]),
    "subgroepen": Field([GROUP]),
    "leerlingen": Field([PUPIL]),
    "medewerkers": Field([STAFF]),
    "actief": Field(BOOL),
    "gefuseerdNaar": Field(ID),
    "metaResult": Field(META),
}
DETAILS = {
    "naam": Field(TEXT, 200, "name"),
    "straat": Field(TEXT, 200, "street"),
    "huisnummer": Field(TEXT, 20, "house_number"),
    "huisnummertoevoeging": Field(TEXT, 20, "house_number_suffix"),
    "postcode": Field(TEXT, 10, "postcode"),
    "woonplaats": Field(TEXT, 100, "city"),
    "brincode": Field(TEXT, 64),  # cut to the column's 4 characters, with a warning when malformed
    "dependancecode": Field(TEXT, 64),  # cut to 2, the same
    "schoolkey": Field(TEXT, 64, "schoolkey"),
    "instellingRef": Field(TEXT, 64, "instelling_ref"),
    "bestuurscode": Field(TEXT, 20, "bestuurscode"),
    "actief": Field(BOOL),
    "gefuseerdNaar": Field(ID),
    "metaResult": Field(META),
}


def stored_fields(spec: dict[str, Field], path: tuple[str, ...] = ()) -> tuple[tuple[tuple[str, ...], str, Any], ...]:
    """Every field of an object (and of the objects inside it) that names a column: its path in
    the object, the column, and its kind; in the order of the definition."""
    found: list[tuple[tuple[str, ...], str, Any]] = []
    for name, field in spec.items():
        if isinstance(field.kind, dict):
            found.extend(stored_fields(field.kind, (*path, name)))
        elif field.column is not None:
            found.append(((*path, name), field.column, field.kind))
    return tuple(found)


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
        for name, field in spec.items():
            _check(value.get(name), field.kind, field.limit, f"{path}.{name}")
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
    elif spec == DATE:
        if not isinstance(value, str):
            raise _wrong(path, value, "text")
        if not _is_date(value):
            raise InvalidSchool(ErrorCode.WRONG_TYPE, f"{path} is not a date")
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
        texts = tuple((name, field.limit) for name, field in spec.items() if field.kind == TEXT)
        others = tuple((name, _fitter(field.kind, field.limit)) for name, field in spec.items() if field.kind != TEXT)

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
    if spec == DATE:
        return lambda value: isinstance(value, str) and _is_date(value)
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


# The JSON Schema of the roster document, generated from the definition above. Objects that occur
# in several places are written once under ``$defs``.
SCHEMA_PATH = Path(__file__).with_name("roster.schema.json")
_SCHEMA_DEFS = {"person": PERSON, "meta": META, "group": GROUP, "pupil": PUPIL, "staff": STAFF, "details": DETAILS}


def _schema_of(field: Field) -> dict[str, Any]:
    kind = field.kind
    if isinstance(kind, dict):
        return {"anyOf": [_object_ref(kind), {"type": "null"}]}
    if isinstance(kind, list):
        return {"type": ["array", "null"], "items": _object_ref(kind[0])}
    if kind == TEXT:
        return {"type": ["string", "null"], "maxLength": field.limit}
    if kind == DATE:
        return {"type": ["string", "null"], "format": "date"}
    if kind == ID:
        return {"$ref": "#/$defs/id"} if field.required else {"anyOf": [{"$ref": "#/$defs/id"}, {"type": "null"}]}
    if kind == BOOL:
        return {"type": ["boolean", "null"]}
    if kind == KEYS:
        return {"type": ["array", "null"], "items": {"type": "string", "maxLength": field.limit}}
    raise ValueError(f"no JSON Schema for a field of kind {kind!r}")


def _object_ref(spec: dict[str, Field]) -> dict[str, str]:
    for name, known in _SCHEMA_DEFS.items():
        if known is spec:
            return {"$ref": f"#/$defs/{name}"}
    raise ValueError("an object of the feed without a name in _SCHEMA_DEFS")


def _object_schema(spec: dict[str, Field]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    required = [name for name, field in spec.items() if field.required]
    if required:
        schema["required"] = required
    schema["properties"] = {name: _schema_of(field) for name, field in spec.items()}
    return schema


def json_schema() -> dict[str, Any]:
    """The roster document's JSON Schema (draft 2020-12), as ``roster.schema.json`` holds it."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://bingel.example/schema/basispoort-roster.json",
        "title": "One school's roster document (Basispoort partner API v2, instellingen/{id})",
        "description": (
            "Generated from roster/feed/shape.py (python -m roster.feed.shape): known fields are null or of "
            "this type and length; unknown fields are ignored. $defs/details is the school's details document."
        ),
        "$defs": {
            "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            **{name: _object_schema(spec) for name, spec in _SCHEMA_DEFS.items()},
        },
        **_object_schema(ROSTER),
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
