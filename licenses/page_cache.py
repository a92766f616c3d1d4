"""The long parts of the licence pages, rendered once and kept until something they show changes.

"Licenties per groep", "Licenties per kind" and "Nieuw schooljaar" spend most of their time
on the licence cards: hundreds of rows for the largest school. Those cards are the same for
every coordinator of a school, so they are kept in the ``pages`` cache under a key made of

- the page, the school and the language;
- the school's and the catalogue's ``PageStamp`` tokens: every change to what the cards show
  (links, seats, the roster import, back-office edits of licences and the catalogue, the
  year-level snapshot, key rotation) replaces a token inside its own transaction
  (``licenses.receivers``, ``bump``), so a request that reads the new token also reads the new
  data, and what was rendered before is never asked for again;
- the date (which school years are current) and anything else the caller names;
- a digest of the templates and the code that render the cards, so a release never serves
  what the previous one rendered.

Every entry is found under a key that names exactly what it shows, so an entry never goes
stale: it is only no longer asked for. That lets each process keep the entries it served last
in memory as well (``_Recent``, bounded by ``PAGE_CACHE_LOCAL_CHARS``), in front of the shared
cache: a cached page then costs no round trip to Redis and no copy of the cards over it.

The view still runs the access check first; only the cards come from the cache, never the page
around them (the person's name, messages, the CSRF token). A form's CSRF field is kept as a
placeholder and filled in per request. Responses keep ``Cache-Control: no-store``: nothing is
cached in the browser.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from redis.exceptions import RedisError

from licenses.models import PageStamp

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
# Entries are found again only while nothing changed; the timeout just frees what nobody asks for.
TIMEOUT_SECONDS = 24 * 3600
# Alphanumeric like a real token, so escaping leaves it as it is; replaced per request.
CSRF_PLACEHOLDER = "csrfplaceholder0licencecards0cachedpart000000000000000000000000"

# What renders the cached parts (templates, code, translations): a release that changes any of
# these makes every key new.
_SOURCES = [
    "templates/licenses/_group_cards.html",
    "templates/licenses/_pupil_cards.html",
    "templates/licenses/_new_year_cards.html",
    "templates/licenses/_warnings.html",
    "templates/licenses/_subtabs.html",
    "licenses/fragments.py",
    "licenses/overview.py",
    "licenses/new_year.py",
    "licenses/page_cache.py",
    "licenses/views.py",
    "licenses/new_year_views.py",
    "roster/naming.py",
    "roster/school_year.py",
    "portal/tabs.py",
    "locale/en/LC_MESSAGES/django.mo",
]
_digest: str | None = None
_TABLE = PageStamp._meta.db_table


def _code_digest() -> str:
    global _digest
    if _digest is None:
        sha = hashlib.sha256()
        for path in _SOURCES:
            sha.update((settings.BASE_DIR / path).read_bytes())
        _digest = sha.hexdigest()[:16]
    return _digest


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


def stamp(school_id: int) -> str:
    """The tokens the school's cached parts are valid for (one query; a first visit makes them)."""
    return stamps([school_id])[school_id]


def stamps(school_ids: Iterable[int]) -> dict[int, str]:
    """:func:`stamp` of many schools in one query (a first visit of any of them makes theirs)."""
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


class _Recent:
    """The entries this process used last, up to a number of characters; the least recently used go first."""

    def __init__(self):
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: str, html: str) -> None:
        limit = settings.PAGE_CACHE_LOCAL_CHARS
        if len(html) > limit:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = html
            self._size += len(html)
            while self._size > limit:
                _old, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


_recent = _Recent()


def cards(request, page: str, school_id: int, render: Callable[[], str], *, extra: str = "") -> SafeString:
    """The rendered part ``page`` of this school's page: from the cache, or ``render()`` and kept.

    ``render`` must build the part from the database after this call read the stamp, and put
    ``CSRF_PLACEHOLDER`` where a form needs its token.
    """
    key = ":".join(
        [
            "licence-cards",
            page,
            str(school_id),
            get_language() or "",
            stamp(school_id),
            timezone.localdate().isoformat(),
            extra,
            _code_digest(),
        ]
    )
    html = _recent.get(key)
    if html is None:
        html = _shared_get(key)
        if html is None:
            html = str(render())
            _shared_set(key, html)
        _recent.put(key, html)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    # Rendered by Django templates (autoescaped) or licenses.fragments (every value escaped).
    return mark_safe(html)  # noqa: S308


def _shared_get(key: str) -> str | None:
    # Redis down is a cache miss: the page is rendered from the database, never a 500.
    try:
        return caches[CACHE_ALIAS].get(key)
    except RedisError:
        logger.warning("Page cache unreachable; rendering from the database", exc_info=True)
        return None


def _shared_set(key: str, html: str) -> None:
    try:
        caches[CACHE_ALIAS].set(key, html, TIMEOUT_SECONDS)
    except RedisError:
        logger.warning("Page cache unreachable; part not kept", exc_info=True)


def get_many(keys: Iterable[str]) -> dict[str, object]:
    """Values kept in the shared cache under keys that hold a stamp (Redis down: none found)."""
    try:
        return caches[CACHE_ALIAS].get_many(list(keys))
    except RedisError:
        logger.warning("Page cache unreachable; reading from the database", exc_info=True)
        return {}


def set_many(values: dict[str, object]) -> None:
    try:
        caches[CACHE_ALIAS].set_many(values, TIMEOUT_SECONDS)
    except RedisError:
        logger.warning("Page cache unreachable; values not kept", exc_info=True)


def csrf_context() -> dict:
    """Context for a cached part's template: ``{% csrf_token %}`` renders the placeholder."""
    return {"csrf_token": CSRF_PLACEHOLDER}
