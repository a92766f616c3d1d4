"""The tokens that say whether a cached part of the licence pages is still what it shows.

Each school, and the catalogue (``PageStamp.CATALOGUE``), has a few ``PageStamp`` token slots;
each licence has a ``CardStamp`` token. A change replaces the tokens of what it changed inside
its own transaction, so a request that reads the new token also reads the new data:

- ``bump``: the roster, the back office, the year-level snapshot and key rotation, for a school
  (or the catalogue): every part of the school's pages is rendered again;
- ``bump_imported``: the same for a chunk of the roster import, in one statement;
- ``bump_licences``: a coordinator's link, unlink, seat, release or Nieuw schooljaar, for the
  licences it changed: only their cards are rendered again.

``stamp`` reads a school's tokens and those of its licences in one query, ``stamps`` the
schools' own tokens of many schools at once. ``licenses.page_cache`` keeps the rendered parts
under keys made of them; ``portal.cards`` and ``portal.attention`` key their per-school entries
the same way.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db import connection, transaction
from django.utils import timezone

from licenses.models import CardStamp, Licence, PageStamp
from roster.school_year import previous_school_year, school_year_of

_TABLE = PageStamp._meta.db_table
_CARDS = CardStamp._meta.db_table
_LICENCES = Licence._meta.db_table


def bump(school_ids: Iterable[int]) -> None:
    """Give these schools (or ``PageStamp.CATALOGUE``) a new token: what was rendered is stale.

    Call it inside the transaction that makes the change, so the new token and the change
    commit together. Each school has a few token slots; a change takes the first slot no other
    open transaction holds (``SKIP LOCKED``), so the roster import and a coordinator changing the
    same school at the same moment never wait for each other.
    """
    for scope in sorted(set(school_ids)):
        _replace_a_token(scope)


def bump_imported(school_ids: list[int]) -> None:
    """``bump`` for a chunk of the roster import, in one statement whatever the chunk's size.

    The import replaces the token of the last slot of each school, which a coordinator's change
    takes only when the other slots are all held, so neither waits for the other in practice.
    A school without slots has nothing cached: its first render makes new tokens anyway.
    """
    PageStamp.objects.filter(scope__in=school_ids, slot=PageStamp.SLOTS - 1).update(token=uuid.uuid4())


def bump_licences(licence_ids: Iterable[int]) -> None:
    """Give these licences a new ``CardStamp`` token: only their cards are rendered again.

    Call it inside the transaction that changes the licences' links or seats (one statement).
    """
    rows = [(licence_id, uuid.uuid4()) for licence_id in sorted(set(licence_ids))]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{_CARDS}" ("licence_id", "token") VALUES '  # noqa: S608 - the model's own table
            + ", ".join(["(%s, %s)"] * len(rows))
            + ' ON CONFLICT ("licence_id") DO UPDATE SET "token" = EXCLUDED."token"',
            [value for row in rows for value in row],
        )


def _replace_a_token(scope: int) -> None:
    if connection.vendor == "postgresql":
        # One statement and no savepoint instead of four round trips: a coordinator's every
        # link or seat change ends here.
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{_TABLE}" SET "token" = %s WHERE "id" = ('  # noqa: S608 - the model's own table
                f'SELECT "id" FROM "{_TABLE}" WHERE "scope" = %s ORDER BY "slot" LIMIT 1 FOR UPDATE SKIP LOCKED'
                ') RETURNING "id"',
                [uuid.uuid4(), scope],
            )
            if cursor.fetchone() is not None:
                return
        with transaction.atomic():
            _fill_slots(scope)
        return
    with transaction.atomic():
        free = (
            PageStamp.objects.select_for_update(skip_locked=True)
            .filter(scope=scope)
            .order_by("slot")
            .values_list("pk", flat=True)
            .first()
        )
        if free is not None:
            PageStamp.objects.filter(pk=free).update(token=uuid.uuid4())
            return
        _fill_slots(scope)


def _fill_slots(scope: int) -> None:
    # No slots yet (nothing was rendered for this school), or every slot held by an open
    # transaction (then this one waits for the first): new rows are new tokens already.
    _make_slots([scope])
    PageStamp.objects.filter(scope=scope, slot=0).update(token=uuid.uuid4())


def _make_slots(scopes: list[int]) -> None:
    PageStamp.objects.bulk_create(
        [PageStamp(scope=scope, slot=slot, token=uuid.uuid4()) for scope in scopes for slot in range(PageStamp.SLOTS)],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class LicenceStamp:
    kind: str
    product_id: int
    token: str  # "" while nothing changed the licence's cards on their own


@dataclass(frozen=True)
class Stamp:
    """The tokens a school's cached parts are valid for."""

    school: str  # a digest of the school's and the catalogue's ``PageStamp`` tokens
    licences: dict[int, LicenceStamp]  # the school's licences of last school year and later

    def token(self, licence_id: int) -> str:
        # A licence made after the stamp was read: its card is kept under the school's old tokens,
        # which its making replaced (``licenses.receivers``), so no later request asks for it.
        found = self.licences.get(licence_id)
        return found.token if found else ""

    def of_product(self, product_id: int) -> str:
        """The tokens of every licence of one product (last year's and later ones)."""
        return self._by_product.get(product_id, "")

    @cached_property
    def _by_product(self) -> dict[int, str]:
        # Once per stamp: "Nieuw schooljaar" asks it for each of its licences.
        tokens: dict[int, list[str]] = {}
        for pk, lic in self.licences.items():
            tokens.setdefault(lic.product_id, []).append(f"{pk}={lic.token}")
        return {product_id: ",".join(found) for product_id, found in tokens.items()}

    @property
    def listed(self) -> str:
        """A digest of which licences the school has (last year's and later)."""
        return hashlib.sha256(",".join(map(str, self.licences)).encode()).hexdigest()[:16]

    def of_kinds(self, kinds: Collection[str]) -> str:
        """A digest of the school's tokens and those of its licences of these kinds."""
        tokens = [f"{pk}={lic.token}" for pk, lic in self.licences.items() if lic.kind in kinds]
        return hashlib.sha256(":".join([self.school, *tokens]).encode()).hexdigest()[:32]


# The school's and the catalogue's slots and every current licence's card token, in one query:
# a cached page reads nothing else of the licence data.
_READ_STAMP = (
    f'SELECT 0, "scope", "slot", "token", NULL, NULL FROM "{_TABLE}" WHERE "scope" IN (%s, %s) '  # noqa: S608 - the models' own tables
    f'UNION ALL SELECT 1, l."id", 0, c."token", l."kind", l."product_id" FROM "{_LICENCES}" l '
    f'LEFT JOIN "{_CARDS}" c ON c."licence_id" = l."id" WHERE l."school_id" = %s AND l."school_year" >= %s '
    "ORDER BY 1, 2, 3"
)


def stamp(school_id: int) -> Stamp:
    """The tokens the school's cached parts are valid for (one query; a first visit makes them)."""
    scopes = [PageStamp.CATALOGUE, school_id]

    def read() -> list[tuple]:
        with connection.cursor() as cursor:
            # Last year's too: "Nieuw schooljaar" proposes their links again until the autumn.
            last_year = previous_school_year(school_year_of(timezone.localdate()))
            cursor.execute(_READ_STAMP, [*scopes, school_id, last_year])
            return cursor.fetchall()

    rows = read()
    if {scope for table, scope, *_rest in rows if table == 0} != set(scopes):
        # Never rendered before: tokens of its own, never a key that an earlier database used.
        _make_slots(scopes)
        rows = read()
    school = "".join(_hex(token) for table, _scope, _slot, token, _kind, _product in rows if table == 0)
    return Stamp(
        school=hashlib.sha256(school.encode()).hexdigest()[:32],
        licences={
            pk: LicenceStamp(kind, product_id, _hex(token) if token else "")
            for table, pk, _slot, token, kind, product_id in rows
            if table == 1
        },
    )


def _hex(token) -> str:
    return token.hex if isinstance(token, uuid.UUID) else str(token).replace("-", "")


def stamps(school_ids: Iterable[int]) -> dict[int, str]:
    """The schools' own tokens (:attr:`Stamp.school`, without their licences' card tokens) of
    many schools in one query (a first visit of any of them makes theirs)."""
    scopes = {PageStamp.CATALOGUE, *school_ids}

    def read() -> dict[int, list[str]]:
        tokens: dict[int, list[str]] = {}
        for scope, token in (
            PageStamp.objects.filter(scope__in=scopes).order_by("scope", "slot").values_list("scope", "token")
        ):
            tokens.setdefault(scope, []).append(token.hex)
        return tokens

    tokens = read()
    if missing := scopes - set(tokens):
        # Never rendered before: tokens of its own, never a key that an earlier database used.
        _make_slots(sorted(missing))
        tokens = read()
    catalogue = "".join(tokens[PageStamp.CATALOGUE])
    return {
        scope: hashlib.sha256((catalogue + "".join(own)).encode()).hexdigest()[:32]
        for scope, own in tokens.items()
        if scope != PageStamp.CATALOGUE
    }
