"""Each school's finished card of "Mijn scholen", with its attention count for "Kies je school",
kept in the ``pages`` cache until something it shows changes.

Reading and judging forty schools (``portal.attention``) and rendering their cards costs far more
than the page may take, and from one visit to the next almost nothing changes. So each card is
kept under a key made of everything it is built from:

- the school's own fields on the card (name, BRIN, place), read with the school anyway;
- the school's and the catalogue's ``PageStamp`` tokens (``licenses.stamps.stamps``): the
  roster import, a group, pupil or licence saved, the catalogue, the year-level snapshot; the
  licence pages' cached cards rely on the same tokens;
- the ``CardStamp`` tokens of its licences of this and next school year: a link or seat changed;
- its roster import results of the strip's nights (id and state: a retried chunk rewrites one),
  its open held nights, its current result links (state and supplier's name), its licence
  registry row and whether the registry is configured;
- today (the nights' strip, the 30-day and school-year rules), the language, the script prefix of
  the addresses, and a digest of the code that builds the card.

All but the first two are read for every school at once in :data:`_READ_STAMPS` (one query), so
a page whose cards are all kept asks two questions after the access check, and a school whose
key is new is read and judged alone (with the fixed number of queries of ``portal.attention``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext as _

from integrations.models import LvsSupplier, RegistryPushState, RegistrySchool, RegistrySet, ResultLink
from licenses import page_cache
from licenses.models import CardStamp, Licence
from licenses.stamps import stamps as page_stamps
from portal.attention import NIGHTS, SchoolAttention, attention_of_schools
from portal.pictures import night_strip
from roster.access import schools_with_a_coordinator
from roster.models import HeldNight, School, SchoolImportResult
from roster.school_year import next_school_year, school_year_of

# What builds a card: a release that changes any of these makes every key new.
_SOURCES = [
    "portal/cards.py",
    "portal/attention.py",
    "portal/pictures.py",
    "portal/school_urls.py",
    "licenses/overview.py",
    "licenses/new_year.py",
    "licenses/page_cache.py",
    "integrations/status.py",
    "roster/holds.py",
    "roster/school_year.py",
    "bingel_admin/numbers.py",
    "locale/en/LC_MESSAGES/django.mo",
]
_digest: str | None = None


def _code_digest() -> str:
    global _digest
    if _digest is None:
        _digest = page_cache.digest(_SOURCES)
    return _digest


# Per school, a digest of each input that no PageStamp token covers (NULL where it has none).
_READ_STAMPS = f"""
SELECT s.id,
  (SELECT md5(string_agg(l.id || ':' || l.school_year || ':' || coalesce(c.token::text, ''), ',' ORDER BY l.id))
     FROM "{Licence._meta.db_table}" l LEFT JOIN "{CardStamp._meta.db_table}" c ON c.licence_id = l.id
    WHERE l.school_id = s.id AND l.school_year IN (%s, %s)),
  (SELECT md5(string_agg(r.id || ':' || r.status, ',' ORDER BY r.id))
     FROM "{SchoolImportResult._meta.db_table}" r WHERE r.school_id = s.id AND r.finished_at >= %s),
  (SELECT string_agg(h.id::text, ',' ORDER BY h.id)
     FROM "{HeldNight._meta.db_table}" h WHERE h.school_id = s.id AND h.decided_at IS NULL),
  (SELECT md5(string_agg(k.id || ':' || k.status || ':' || p.name, ',' ORDER BY k.id))
     FROM "{ResultLink._meta.db_table}" k JOIN "{LvsSupplier._meta.db_table}" p ON p.id = k.supplier_id
    WHERE k.school_id = s.id AND k.withdrawn_at IS NULL),
  (SELECT concat_ws(':', g.dirty_since, g.last_success_at, g.certificate_refused, g.attempts,
          EXISTS (SELECT 1 FROM "{RegistrySet._meta.db_table}" x WHERE x.school_id = g.school_id AND x.state = %s))
     FROM "{RegistrySchool._meta.db_table}" g WHERE g.school_id = s.id)
FROM "{School._meta.db_table}" s WHERE s.id = ANY(%s)
"""  # noqa: S608 - the models' own tables


@dataclass(frozen=True)
class SchoolCard:
    school: School
    count: int  # the points that need attention
    html: SafeString


def school_cards(schools: list[School], today: dt.date | None = None) -> list[SchoolCard]:
    """The cards of these schools (which the caller got from ``roster.access``): the schools
    needing most first, then by name; kept ones from the cache, the others built and kept."""
    if not schools:
        return []
    today = today or timezone.localdate()
    by_id = {school.pk: school for school in schools}
    keys = {pk: _key(by_id[pk], tokens, today) for pk, tokens in _tokens(list(by_id), today).items()}

    def build(missing: list[int]) -> dict[int, str]:
        words = CardWords()
        return {
            item.school.pk: f"{item.count}\n{card_html(item, words)}"
            for item in attention_of_schools([by_id[pk] for pk in missing], today)
        }

    cards = []
    for pk, kept in page_cache.kept_parts(keys, build).items():
        count, _newline, html = kept.partition("\n")
        # Built by card_html, every value escaped.
        cards.append(SchoolCard(by_id[pk], int(count), mark_safe(html)))  # noqa: S308
    return sorted(cards, key=lambda card: (-card.count, card.school.name, card.school.pk))


# Schools whose cards :func:`warm` builds at a time (the queries are per batch, not per school).
WARM_BATCH = 200


def warm(today: dt.date | None = None) -> int:
    """Build and keep, in the site's language, the card of every school with an ict-coördinator
    today, so the first visit of the morning finds them kept (the date is in every key, so each
    day's first visit would otherwise build every card). Beat runs it after the night's work
    (``portal.tasks.warm_school_cards``). A card whose key changes afterwards is built again on
    the next visit, as always: warming only saves time, it never decides what a page shows.
    Returns how many schools' cards it looked at."""
    today = today or timezone.localdate()
    ids = schools_with_a_coordinator(today)
    with override(settings.LANGUAGE_CODE):
        for start in range(0, len(ids), WARM_BATCH):
            school_cards(list(School.objects.filter(pk__in=ids[start : start + WARM_BATCH])), today)
    return len(ids)


class CardWords:
    """The words every card shows, translated once per page (in the request's language)."""

    def __init__(self) -> None:
        self.nights_title = escape(_("Import de afgelopen %(nights)s nachten") % {"nights": NIGHTS})
        self.seats_title = escape(_("Licenties per kind dit schooljaar"))
        self.no_seats = escape(_("Geen licenties per kind."))
        self.nothing = escape(_("Niets vraagt aandacht."))
        self.usage = escape(_("Licentiegebruik van deze school:"))
        self.excel = escape(_("Excel"))
        self.csv = escape(_("CSV"))


def card_html(item: SchoolAttention, words: CardWords) -> SafeString:
    """One school's card: joined strings, every value escaped (forty cards through template tags
    cost more than the rest of the page)."""
    school, facts = item.school, item.facts
    if item.marks:
        count = ngettext("%(counter)s punt vraagt aandacht", "%(counter)s punten vragen aandacht", item.count) % {
            "counter": item.count
        }
        marks = "".join(f'<li><a href="{escape(mark.url)}">{escape(mark.text)}</a></li>' for mark in item.marks)
        attention = (
            f'\n      <p class="attention-count attention-count--some">{escape(count)}</p>'
            f'\n      <ul class="attention-list">\n        {marks}\n      </ul>\n    '
        )
    else:
        attention = f'\n      <p class="attention-count">{words.nothing}</p>\n    '
    if facts.seats_bought:
        used = _("%(used)s van %(bought)s in gebruik") % {"used": facts.seats_used, "bought": facts.seats_bought}
        seats = (
            f"\n          \n{_bar(item.seats_percent)}\n"
            f'\n          <p class="picture-text">{escape(used)}</p>\n        '
        )
    else:
        seats = f'\n          <p class="empty">{words.no_seats}</p>\n        '
    pk = f"{school.pk:d}"
    html = (
        f'<li class="card my-school" aria-labelledby="school-{pk}">\n'
        f'    <h2 id="school-{pk}"><a href="{escape(item.home_url)}">{escape(school.name)}</a> '
        f'<span class="muted">{escape(school.brin + school.dependancecode)} · {escape(school.city)}</span></h2>\n'
        f"    {attention}\n"
        '    <div class="my-school__pictures">\n'
        "      <div>\n"
        f"        <h3>{words.nights_title}</h3>\n"
        f"        {night_strip(facts.nights)}\n"
        f'        <p class="picture-text">{escape(item.nights_text)}</p>\n'
        "      </div>\n"
        "      <div>\n"
        f"        <h3>{words.seats_title}</h3>\n"
        f"        {seats}\n"
        "      </div>\n"
        "    </div>\n"
        f'    <p class="downloads">{words.usage}\n'
        f'      <a href="{escape(item.xlsx_url)}">{words.excel}</a> ·\n'
        f'      <a href="{escape(item.csv_url)}">{words.csv}</a></p>\n'
        "  </li>\n"
    )
    # Every value above went through escape (or is an int formatted with :d); the strip is
    # portal.pictures' fixed markup.
    return mark_safe(html)  # noqa: S308


def _bar(percent: int) -> str:
    """``beheer/_bar.html`` (seats used of seats bought), without its template."""
    return (
        '<svg class="meter" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect class="meter__track" width="100" height="6" rx="3"></rect>'
        f'<rect class="meter__fill" width="{percent:d}" height="6" rx="3"></rect></svg>'
    )


def _tokens(ids: list[int], today: dt.date) -> dict[int, str]:
    """Per school, everything its card is built from that is read from the database (two queries)."""
    pages = page_stamps(ids)
    year = school_year_of(today)
    first_night = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=NIGHTS - 1), dt.time.min))
    with connection.cursor() as cursor:
        cursor.execute(_READ_STAMPS, [year, next_school_year(year), first_night, RegistryPushState.REFUSED, ids])
        rows = cursor.fetchall()
    return {pk: "|".join([pages[pk], *(value or "" for value in rest)]) for pk, *rest in rows}


def _key(school: School, tokens: str, today: dt.date) -> str:
    shown = "|".join([school.name, school.brin, school.dependancecode, school.city, tokens])
    return ":".join(
        [
            "my-school-card",
            str(school.pk),
            get_language() or "",
            today.isoformat(),
            "registry" if settings.LICENCE_REGISTRY_URL else "",
            get_script_prefix(),
            hashlib.sha256(shown.encode()).hexdigest()[:32],
            _code_digest(),
        ]
    )
