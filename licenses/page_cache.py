"""The long parts of the licence pages, rendered once and kept until something they show changes.

"Licenties per groep", "Licenties per kind" and "Nieuw schooljaar" spend most of their time
on the licence cards: hundreds of rows for the largest school. Those cards are the same for
every coordinator of a school, so they are kept in the ``pages`` cache, in three kinds of entry:

- each licence's card (``Card``: its HTML and the few facts the page around the cards needs of
  it, such as its seats used), under a key of the tokens it was rendered from
  (``licenses.stamps``): the school's and the catalogue's ``PageStamp`` tokens, which the roster
  import, back-office edits of licences and the catalogue, the year-level snapshot and key
  rotation replace, and the ``CardStamp`` token of the licence itself, which a coordinator's
  link, unlink, seat, release or Nieuw schooljaar replaces; a card of "Nieuw schooljaar" also
  names the tokens of this year's licences of the same product, whose links it proposes again
  (``licence_cards``);
- each page's frame (``kept``): what the page reads of the school's own data, such as its
  licences in order, its groups and their year levels, under the school's tokens alone, so a
  coordinator's change leaves it as it is;
- the whole part of a page (heading, points for attention, the cards under their school
  years), assembled from the two above, under a key of the school's tokens and those of every
  licence the page shows (``cards``). It is kept only in the memory of the process that
  assembled it: another process assembles it from the frame and the cards in the shared cache.

Every token is replaced inside the transaction that makes the change, so a request that reads
the new token also reads the new data, and what was rendered before is never asked for again.
So a coordinator's change costs the next visit only the cards it touched and joining the page
again; the frame and the other cards come from the cache. Each key also holds the page,
the school, the language, the date (which school years are current), anything else the caller
names, and a digest of the templates and the code that render the cards, so a release never
serves what the previous one rendered.

"Mijn scholen" keeps each school's card the same way (``portal.cards``, through :func:`kept_parts`).

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
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from redis.exceptions import RedisError

from licenses.stamps import Stamp, stamp

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
    "templates/licenses/_pupil_card.html",
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


def _code_digest() -> str:
    global _digest
    if _digest is None:
        _digest = digest(_SOURCES)
    return _digest


@dataclass(frozen=True)
class Card:
    """One licence's card, and what the page around the cards needs to know of that licence
    (its seats used, its linked groups; ``None`` when nothing)."""

    html: str
    facts: object = None


def _size(value: str | Card) -> int:
    """About how many characters an entry takes in memory."""
    return len(value.html) if isinstance(value, Card) else len(value)


class _Recent:
    """The entries this process used last, up to a number of characters; the least recently used go first.

    Entries are shared by every request of the process: whoever takes one must not change it.
    """

    def __init__(self):
        self._entries: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: str, value: object, size: int | None = None) -> None:
        """Keep ``value``; ``size`` is about how many characters it takes (a page's or card's
        length when not given)."""
        with self._lock:
            if key in self._entries:
                return
        size = _size(value) if size is None else size
        limit = settings.PAGE_CACHE_LOCAL_CHARS
        if size > limit:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (value, size)
            self._size += size
            while self._size > limit:
                _old, (_dropped, dropped_size) = self._entries.popitem(last=False)
                self._size -= dropped_size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


_recent = _Recent()


def cards(
    request, page: str, school_id: int, render: Callable[[Stamp], str], *, kinds: Collection[str], extra: str = ""
) -> SafeString:
    """The rendered part ``page`` of this school's page: kept by this process, or ``render(stamp)``.

    ``kinds`` are the kinds of licence whose cards the part shows (a seat changed leaves
    "Licenties per groep" as it was). ``render`` must build the part after this call read the
    stamp it is given, from ``kept`` and ``licence_cards`` (or the database), and put
    ``CSRF_PLACEHOLDER`` where a form needs its token. The part is kept in this process only:
    joined from entries that are kept, it is not worth a copy of some 200 KB in the shared cache.
    """
    current = stamp(school_id)
    key = _key("licence-cards", page, school_id, current.of_kinds(kinds), extra)
    html = _recent.get(key)
    if html is None:
        html = str(render(current))
        _recent.put(key, html)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    # Rendered by Django templates (autoescaped) or licenses.fragments (every value escaped).
    return mark_safe(html)  # noqa: S308


T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


def kept(page: str, school_id: int, current: Stamp, compute: Callable[[], T], *, extra: str = "") -> T:
    """``compute()``, kept under the school's and the catalogue's tokens (``Stamp.school``) alone.

    For what a page reads of the school's own data only (its licences and their products, its
    groups and pupils, last year's year levels): what the roster import, the back office or the
    year-level snapshot changes, each of which replaces the school's tokens. Never for links,
    seats or unticked proposals: a coordinator's change replaces only its licences' tokens. The
    value is shared by every request of the process: whoever takes it must not change it.
    """
    # Which licences the school has is named as well, though making or removing one replaces the
    # school's tokens already (``licenses.receivers``).
    key = _key("licence-frame", page, school_id, f"{current.school}:{current.listed}", extra)
    value = _recent.get(key)
    if value is None:
        # Kept pickled in the shared cache: pickled once here, its length is its size in memory.
        data = _shared_get(key)
        if data is None:
            value = compute()
            data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            _shared_set(key, data)
        else:
            value = pickle.loads(data)  # noqa: S301 - written by this module under a key it made
        _recent.put(key, value, len(data))
    return value


def licence_cards(
    page: str,
    school_id: int,
    current: Stamp,
    depends: dict[int, str],
    build: Callable[[list[int]], dict[int, Card]],
    *,
    extra: str = "",
) -> dict[int, Card]:
    """Each licence's card of ``page``: kept ones from the cache, the others from ``build(ids)`` and kept.

    ``depends`` maps each licence to the tokens its card is rendered from (``Stamp.token``, or
    more where a card shows other licences' links); the school's tokens are always part of the key.
    """
    # One key for the page's cards, each licence's id and tokens added to it (a page has dozens).
    common = _key("licence-card", page, school_id, current.school, extra)
    keys = {pk: f"{common}:{pk}:{tokens}" for pk, tokens in depends.items()}

    def build_and_log(missing: list[int]) -> dict[int, Card]:
        logger.debug("Licence cards rendered: page=%s school=%s licences=%s", page, school_id, missing)
        return build(missing)

    return kept_parts(keys, build_and_log)


def kept_parts(keys: dict[K, str], build: Callable[[list[K]], dict[K, V]]) -> dict[K, V]:
    """The parts under ``keys`` (each a key that names everything its part shows): from this
    process's memory, else the shared cache (one round trip), else ``build(missing)`` and kept."""
    found = {item: part for item, key in keys.items() if (part := _recent.get(key)) is not None}
    if len(found) < len(keys):
        shared = _shared_get_many([key for item, key in keys.items() if item not in found])
        found.update({item: shared[key] for item, key in keys.items() if key in shared})
    missing = [item for item in keys if item not in found]
    if missing:
        built = build(missing)
        _shared_set_many({keys[item]: part for item, part in built.items()})
        found.update(built)
    for item, key in keys.items():
        _recent.put(key, found[item])
    return found


def digest(paths: Iterable[str]) -> str:
    """A digest of these files (templates, code, translations, relative to ``BASE_DIR``), for a
    key that a release changing any of them makes new."""
    sha = hashlib.sha256()
    for path in paths:
        sha.update((settings.BASE_DIR / path).read_bytes())
    return sha.hexdigest()[:16]


def _key(kind: str, page: str, school_id: int, tokens: str, extra: str) -> str:
    return ":".join(
        [
            kind,
            page,
            str(school_id),
            get_language() or "",
            tokens,
            timezone.localdate().isoformat(),
            extra,
            _code_digest(),
        ]
    )


def _shared_get(key: str):
    # Redis down is a cache miss: the page is rendered from the database, never a 500.
    try:
        return caches[CACHE_ALIAS].get(key)
    except RedisError:
        logger.warning("Page cache unreachable; rendering from the database", exc_info=True)
        return None


def _shared_get_many(keys: list[str]) -> dict:
    try:
        return caches[CACHE_ALIAS].get_many(keys)
    except RedisError:
        logger.warning("Page cache unreachable; rendering from the database", exc_info=True)
        return {}


def _shared_set_many(entries: dict[str, object]) -> None:
    try:
        caches[CACHE_ALIAS].set_many(entries, TIMEOUT_SECONDS)
    except RedisError:
        logger.warning("Page cache unreachable; cards not kept", exc_info=True)


def _shared_set(key: str, value: object) -> None:
    try:
        caches[CACHE_ALIAS].set(key, value, TIMEOUT_SECONDS)
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
