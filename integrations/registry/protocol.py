"""The licence registry protocol (JSON over HTTPS, paths under ``rest/v1/``), shared by our client
and the reference registry so both check a body the same way.

Standard library only: the reference registry runs without Django.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable

ROLES = ("leerling", "leerkracht")
SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
# A full date as JSON Schema's "date" format means it; date.fromisoformat alone also takes 20270731.
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DIGITS = re.compile(r"^[0-9]+$")
# A product code in a path: our products' codes are slugs of at most 50 characters.
PRODUCT_CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PRODUCT_FIELDS = ("naam", "methode", "productsoort", "url")
MAX_INT64 = 2**63 - 1


def set_path(instelling_id: int, productcode: str) -> str:
    return f"licenties/{instelling_id}/{productcode}"


def school_path(instelling_id: int) -> str:
    return f"licenties/{instelling_id}"


def person_path(user_id: int) -> str:
    return f"gebruikers/{user_id}/lesmateriaal"


def digest(user_ids: Iterable[int]) -> str:
    """Hex SHA-256 of the set's user ids, sorted ascending and written as decimal strings, joined by ","."""
    return digest_of_sorted(sorted(set(user_ids)))


def digest_of_sorted(user_ids: list[int]) -> str:
    """``digest`` of ids already sorted ascending, each once (an unchanged night works out 60,000)."""
    return hashlib.sha256(",".join(map(str, user_ids)).encode("ascii")).hexdigest()


def int64_in(text: str) -> int | None:
    """The id or version written in a path or query (ASCII digits, 1..2^63-1), or None."""
    if not DIGITS.match(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_INT64 else None


def _is_int64(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT64


def body_errors(body) -> str | None:
    """What is wrong with a ``PUT licenties/…`` body, in Dutch, or None when it is valid."""
    if not isinstance(body, dict):
        return "De body is geen JSON-object."
    unknown = set(body) - {"versie", "schooljaar", "geldigTot", "product", "gebruikers"}
    if unknown:
        return f"Onbekend veld: {sorted(unknown)[0]}."
    if not _is_int64(body.get("versie")):
        return "versie moet een positief geheel getal (int64) zijn."
    year = SCHOOL_YEAR.match(body.get("schooljaar") or "") if isinstance(body.get("schooljaar"), str) else None
    if not year or int(year[2]) != int(year[1]) + 1:
        return "schooljaar moet de vorm 2026-2027 hebben."
    until = body.get("geldigTot")
    try:
        if not (isinstance(until, str) and ISO_DATE.match(until)):
            raise ValueError(until)
        dt.date.fromisoformat(until)
    except ValueError:
        return "geldigTot moet een datum (JJJJ-MM-DD) zijn."
    product = body.get("product")
    if not isinstance(product, dict) or set(product) != set(PRODUCT_FIELDS):
        return "product moet precies naam, methode, productsoort en url bevatten."
    for name in PRODUCT_FIELDS:
        value = product[name]
        if not isinstance(value, str) or not value.strip() or len(value) > 500 or "\x00" in value:
            return f"product.{name} moet een niet-lege tekst zijn."
    if not product["url"].startswith(("https://", "http://")):
        return "product.url moet een http(s)-adres zijn."
    users = body.get("gebruikers")
    if not isinstance(users, list):
        return "gebruikers moet een lijst zijn."
    seen: set[int] = set()
    for user in users:
        if not isinstance(user, dict) or set(user) != {"id", "eckid", "rol"}:
            return "Elke gebruiker heeft precies id, eckid en rol."
        if not _is_int64(user["id"]):
            return "gebruiker.id moet een positief geheel getal (int64) zijn."
        if user["id"] in seen:
            return f"Gebruiker {user['id']} staat dubbel in de lijst."
        seen.add(user["id"])
        if user["eckid"] is not None and (not isinstance(user["eckid"], str) or not 0 < len(user["eckid"]) <= 256):
            return "gebruiker.eckid moet een tekst of null zijn."
        if user["rol"] not in ROLES:
            return "gebruiker.rol moet leerling of leerkracht zijn."
    return None
