"""What needs a coordinator's attention at each of their schools: "Mijn scholen" and the counts on
"Kies je school".

The rules live here and only here. :func:`facts_of_schools` reads everything the rules look at,
for any number of schools, with a fixed number of queries; each rule in :data:`RULES` is a small
function from one school's :class:`SchoolFacts` to a :class:`Mark` (or ``None``): what is wrong,
in the coordinator's words, and the place in that school's Beheer where it is fixed. A new rule is
one more function appended to :data:`RULES` (and, if it needs data not read yet, one more query in
:func:`facts_of_schools`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bingel_admin.numbers import percent
from integrations.models import LinkStatus, RegistrySchool, ResultLink
from integrations.status import RegistryView, registry_rows, registry_status_of
from licenses import page_cache
from licenses.models import GroupLink, Licence, LicenceKind, Product
from licenses.new_year import Season, season_of
from licenses.overview import GroupLicenceRow, coverage_gaps, pupil_year_levels_by_group
from licenses.stamps import stamps as page_stamps
from portal.school_urls import SchoolUrls
from roster.holds import open_holds
from roster.models import Group, HeldNight, School, SchoolImportResult, SchoolResultStatus
from roster.school_year import last_day_of, next_school_year, school_year_of

NIGHTS = 30  # the strip of the roster import's last nights
ENDING_WITHIN_DAYS = 30


# The roster import's nights ------------------------------------------------------------------


class NightState:
    """What one night of the roster import did for a school (a strip mark's shape and words)."""

    OK = "ok"
    FAILED = "failed"
    HELD = "held"
    WITHDRAWN = "withdrawn"
    NONE = "none"


NIGHT_WORDS = {
    NightState.OK: gettext_lazy("gelukt"),
    NightState.FAILED: gettext_lazy("mislukt"),
    NightState.HELD: gettext_lazy("tegengehouden"),
    NightState.WITHDRAWN: gettext_lazy("toestemming ingetrokken"),
    NightState.NONE: gettext_lazy("geen import"),
}

_STATE_OF_RESULT = {
    SchoolResultStatus.IMPORTED: NightState.OK,
    SchoolResultStatus.UNCHANGED: NightState.OK,
    SchoolResultStatus.FAILED: NightState.FAILED,
    SchoolResultStatus.HELD: NightState.HELD,
    SchoolResultStatus.WITHDRAWN: NightState.WITHDRAWN,
}


class Night(NamedTuple):
    day: dt.date
    state: str

    @property
    def words(self) -> str:
        return str(NIGHT_WORDS[self.state])


# What the rules read -------------------------------------------------------------------------


class LicenceFacts(NamedTuple):
    """What the rules read of a licence, with its seats in use and its groups linked: plain tuples
    rather than model instances (forty schools have some 440 licences), sharing one ``Product``
    per product. The coverage rule reads it as it reads a ``Licence``."""

    pk: int
    school_id: int
    product: Product
    school_year: str
    kind: str
    seats: int | None
    used_seats: int
    linked_groups: int

    @property
    def ends_on(self) -> dt.date:
        return last_day_of(self.school_year)


class GroupFacts(NamedTuple):
    """What the coverage rule (``licenses.overview.coverage_gaps``) reads of a group: plain
    tuples, because forty schools have some five hundred groups."""

    pk: int
    name: str
    jaargroep: str
    is_subgroup: bool


@dataclass
class SchoolFacts:
    school: School
    today: dt.date
    nights: list[Night] = field(default_factory=list)
    open_hold: HeldNight | None = None  # a held night the coordinator has not decided on yet
    licences: list[LicenceFacts] = field(default_factory=list)  # this and next school year
    group_rows: list[GroupLicenceRow] = field(default_factory=list)  # this school year's per-group licences
    levels_by_group: dict[int, set[str]] = field(default_factory=dict)
    result_links: list[ResultLink] = field(default_factory=list)
    registry: RegistrySchool | None = None
    registry_configured: bool = False
    urls: SchoolUrls = field(default_factory=SchoolUrls)  # shared by every school of one page

    def url(self, name: str, *args: object) -> str:
        """The address of ``name`` in this school's Beheer."""
        return self.urls(name, self.school.pk, *args)

    @property
    def school_year(self) -> str:
        return school_year_of(self.today)

    def licences_of(self, year: str, kind: str | None = None) -> list[LicenceFacts]:
        return self._by_year_and_kind.get((year, kind), [])

    @cached_property
    def _by_year_and_kind(self) -> dict[tuple[str, str | None], list[LicenceFacts]]:
        """Licences by (school year, kind) and by (school year, None); read once all are in."""
        grouped: dict[tuple[str, str | None], list[LicenceFacts]] = defaultdict(list)
        for licence in self.licences:
            grouped[(licence.school_year, licence.kind)].append(licence)
            grouped[(licence.school_year, None)].append(licence)
        return grouped

    @property
    def season(self) -> Season | None:
        return season_of({lic.school_year for lic in self.licences}, self.today)

    @cached_property
    def seats_bought(self) -> int:
        return sum(lic.seats or 0 for lic in self.licences_of(self.school_year, LicenceKind.PER_PUPIL))

    @cached_property
    def seats_used(self) -> int:
        return sum(lic.used_seats for lic in self.licences_of(self.school_year, LicenceKind.PER_PUPIL))


def facts_of_schools(schools: list[School], today: dt.date | None = None) -> list[SchoolFacts]:
    """Everything the rules look at, for these schools (which the caller got from
    ``roster.access``), with the same number of queries whatever their number or size."""
    today = today or timezone.localdate()
    ids = [school.pk for school in schools]
    urls = SchoolUrls()
    facts = {school.pk: SchoolFacts(school, today, urls=urls) for school in schools}
    if not ids:
        return []
    year = school_year_of(today)
    _read_licences(facts, [year, next_school_year(year)])
    for school_id, levels in _pupil_year_levels(ids).items():
        facts[school_id].levels_by_group = levels
    _read_group_rows(facts, year)
    _read_nights(facts, today)
    for hold in open_holds(ids):
        facts[hold.school_id].open_hold = facts[hold.school_id].open_hold or hold  # newest first
    for link in ResultLink.objects.current().filter(school_id__in=ids).select_related("supplier"):
        facts[link.school_id].result_links.append(link)
    if settings.LICENCE_REGISTRY_URL:
        rows = registry_rows(ids)
        for school_id, fact in facts.items():
            fact.registry_configured = True
            fact.registry = rows.get(school_id)
    return [facts[pk] for pk in ids]


def _read_licences(facts: dict[int, SchoolFacts], years: list[str]) -> None:
    """The licences of these school years, with their seats in use and their active groups linked."""
    rows = list(
        Licence.objects.filter(school_id__in=list(facts), school_year__in=years)
        .annotate(
            linked_groups=Count("group_links", filter=Q(group_links__group__active=True), distinct=True),
            used_seats=Count("seats_taken", distinct=True),
        )
        .order_by("product__method__name", "product__name", "pk")
        .values_list("pk", "school_id", "product_id", "school_year", "kind", "seats", "used_seats", "linked_groups")
    )
    products = Product.objects.select_related("method").in_bulk({row[2] for row in rows})
    for pk, school_id, product_id, *rest in rows:
        facts[school_id].licences.append(LicenceFacts(pk, school_id, products[product_id], *rest))


def _pupil_year_levels(ids: list[int]) -> dict[int, dict[int, set[str]]]:
    """Per school, its pupils' year levels per group: read from the pupils (the page's costliest
    query) only for schools whose roster changed since, else kept in the pages cache under the
    school's page stamp, which every change to its groups or pupils replaces (``licenses.page_cache``)."""
    stamps = page_stamps(ids)
    keys = {school_id: f"pupil-year-levels:v1:{school_id}:{stamp}" for school_id, stamp in stamps.items()}
    found = page_cache.get_many(keys.values())
    levels = {school_id: found[key] for school_id, key in keys.items() if key in found}
    if missing := [school_id for school_id in ids if school_id not in levels]:
        read = pupil_year_levels_by_group(missing)
        for school_id in missing:
            levels[school_id] = {group_id: set(of_group) for group_id, of_group in read.get(school_id, {}).items()}
        page_cache.set_many({keys[school_id]: levels[school_id] for school_id in missing})
    return levels


def _read_group_rows(facts: dict[int, SchoolFacts], year: str) -> None:
    """This school year's per-group licences with their linked and unlinked active groups, and
    each group's own year level beside its pupils' (read before)."""
    groups: dict[int, list[GroupFacts]] = defaultdict(list)
    for pk, school_id, name, jaargroep, is_subgroup in (
        Group.objects.filter(school_id__in=list(facts), active=True)
        .order_by("jaargroep", "name")
        .values_list("pk", "school_id", "name", "jaargroep", "is_subgroup")
    ):
        groups[school_id].append(GroupFacts(pk, name, jaargroep, is_subgroup))
        if jaargroep:
            facts[school_id].levels_by_group.setdefault(pk, set()).add(jaargroep)
    linked: dict[int, set[int]] = defaultdict(set)
    for licence_id, group_id in GroupLink.objects.filter(
        school_id__in=list(facts), licence__school_year=year
    ).values_list("licence_id", "group_id"):
        linked[licence_id].add(group_id)
    for school_id, fact in facts.items():
        for licence in fact.licences_of(year, LicenceKind.PER_GROUP):
            ids = linked[licence.pk]
            fact.group_rows.append(
                GroupLicenceRow(
                    licence=licence,
                    linked=[g for g in groups[school_id] if g.pk in ids],
                    unlinked=[g for g in groups[school_id] if g.pk not in ids],
                )
            )


def _read_nights(facts: dict[int, SchoolFacts], today: dt.date) -> None:
    """The last :data:`NIGHTS` nights, oldest first; a night's state is that of the day's last result."""
    first = today - dt.timedelta(days=NIGHTS - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    by_day: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for school_id, status, day in (
        SchoolImportResult.objects.filter(school_id__in=list(facts), finished_at__gte=start)
        .order_by("finished_at", "pk")
        .values_list("school_id", "status", TruncDate("finished_at"))  # the day in the site's time zone
    ):
        by_day[school_id][day] = _STATE_OF_RESULT.get(status, NightState.NONE)
    strip = [first + dt.timedelta(days=n) for n in range(NIGHTS)]
    for school_id, fact in facts.items():
        days = by_day.get(school_id, {})
        fact.nights = [Night(day, days.get(day, NightState.NONE)) for day in strip]


# The rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One thing to fix at one school: what, in the coordinator's words, and where."""

    rule: str
    text: str
    url: str


def _beheer(fact: SchoolFacts, name: str, anchor: str = "") -> str:
    return fact.url(name) + (f"#{anchor}" if anchor else "")


def held_night(fact: SchoolFacts) -> Mark | None:
    """Last night's data were held back (``roster.holds``) and wait for the coordinator's decision."""
    if fact.open_hold is None:
        return None
    text = _("De gegevens van vannacht zijn tegengehouden: kies of ze toch verwerkt worden.")
    return Mark("held_night", text, fact.url("held_night", fact.open_hold.pk))


def failed_nights(fact: SchoolFacts) -> Mark | None:
    """The roster import failed the last night it ran for this school (and how many nights in a row)."""
    ran = [night for night in fact.nights if night.state != NightState.NONE]
    in_a_row = 0
    for night in reversed(ran):
        if night.state != NightState.FAILED:
            break
        in_a_row += 1
    if not in_a_row:
        return None
    text = ngettext(
        "De import uit de schooladministratie is de laatste nacht mislukt.",
        "De import uit de schooladministratie is %(count)d nachten op rij mislukt.",
        in_a_row,
    ) % {"count": in_a_row}
    return Mark("failed_nights", text, _beheer(fact, "beheer_home", "import-titel"))


def groups_without_licence(fact: SchoolFacts) -> Mark | None:
    """Per-group licences of this school year whose year levels have groups without a link."""
    gaps = len(coverage_gaps(fact.group_rows, fact.levels_by_group))
    if not gaps:
        return None
    text = ngettext(
        "%(count)d licentie per groep is niet gekoppeld aan alle groepen van haar jaargroepen.",
        "%(count)d licenties per groep zijn niet gekoppeld aan alle groepen van hun jaargroepen.",
        gaps,
    ) % {"count": gaps}
    return Mark("groups_without_licence", text, _beheer(fact, "licences_per_group"))


def no_seats_left(fact: SchoolFacts) -> Mark | None:
    """Per-pupil licences of this school year with every seat in use."""
    full = [lic for lic in fact.licences_of(fact.school_year, LicenceKind.PER_PUPIL) if lic.used_seats >= lic.seats]
    if not full:
        return None
    text = ngettext(
        "%(count)d licentie per kind heeft geen plaats meer.",
        "%(count)d licenties per kind hebben geen plaats meer.",
        len(full),
    ) % {"count": len(full)}
    return Mark("no_seats_left", text, _beheer(fact, "licences_per_pupil"))


def ending_soon(fact: SchoolFacts) -> Mark | None:
    """Licences that end within :data:`ENDING_WITHIN_DAYS` days (today included, the last day included)."""
    ending = [
        lic for lic in fact.licences_of(fact.school_year) if 0 <= (lic.ends_on - fact.today).days <= ENDING_WITHIN_DAYS
    ]
    if not ending:
        return None
    ends_on = min(lic.ends_on for lic in ending)
    text = ngettext(
        "%(count)d licentie loopt af op %(date)s.",
        "%(count)d licenties lopen af op %(date)s.",
        len(ending),
    ) % {"count": len(ending), "date": ends_on.strftime("%d-%m-%Y")}
    return Mark("ending_soon", text, _beheer(fact, "licence_new_year"))


def next_year_unlinked(fact: SchoolFacts) -> Mark | None:
    """Licences of the year "Nieuw schooljaar" prepares that nothing is linked to yet."""
    season = fact.season
    if season is None:
        return None
    unlinked = [
        lic
        for lic in fact.licences_of(season.target)
        if (lic.linked_groups if lic.kind == LicenceKind.PER_GROUP else lic.used_seats) == 0
    ]
    if not unlinked:
        return None
    text = ngettext(
        "%(count)d licentie voor schooljaar %(year)s is nog niet gekoppeld.",
        "%(count)d licenties voor schooljaar %(year)s zijn nog niet gekoppeld.",
        len(unlinked),
    ) % {"count": len(unlinked), "year": season.target}
    return Mark("next_year_unlinked", text, _beheer(fact, "licence_new_year"))


# A link still being checked is on its way; these need the coordinator.
_LINK_NEEDS_ATTENTION = {LinkStatus.KEY_REFUSED, LinkStatus.UNREACHABLE}


def result_links_not_active(fact: SchoolFacts) -> Mark | None:
    """Result links to an LVS whose key was refused or whose LVS does not answer."""
    links = [link for link in fact.result_links if link.status in _LINK_NEEDS_ATTENTION]
    if not links:
        return None
    text = ngettext(
        "%(count)d resultaatkoppeling is niet actief: %(names)s.",
        "%(count)d resultaatkoppelingen zijn niet actief: %(names)s.",
        len(links),
    ) % {"count": len(links), "names": ", ".join(link.supplier.name for link in links)}
    return Mark("result_links_not_active", text, _beheer(fact, "resultlinks"))


def portal_status(fact: SchoolFacts) -> Mark | None:
    """The licence registry refused the certificate or a set, or the push keeps failing."""
    if not fact.registry_configured:
        return None
    status = registry_status_of(fact.registry)
    if status.view == RegistryView.CERTIFICATE:
        text = _("Basispoort weigert het certificaat: het lesmateriaal in het portaal wordt niet bijgewerkt.")
    elif status.refused_sets:
        text = _("Basispoort heeft een deel van de licenties geweigerd: niet al het lesmateriaal staat in het portaal.")
    elif status.view == RegistryView.RETRYING:
        text = _("Basispoort is niet bereikbaar: het lesmateriaal in het portaal wacht op bijwerken.")
    else:
        return None
    return Mark("portal_status", text, _beheer(fact, "beheer_home", "basispoort-titel"))


Rule = Callable[[SchoolFacts], Mark | None]

# In the order a coordinator should look at them. A held night of the roster import would be one
# more rule here, next to ``failed_nights``.
RULES: tuple[Rule, ...] = (
    held_night,
    failed_nights,
    portal_status,
    result_links_not_active,
    no_seats_left,
    groups_without_licence,
    ending_soon,
    next_year_unlinked,
)


@dataclass
class SchoolAttention:
    facts: SchoolFacts
    marks: list[Mark]

    @property
    def school(self) -> School:
        return self.facts.school

    @property
    def count(self) -> int:
        return len(self.marks)

    @property
    def home_url(self) -> str:
        return self.facts.url("beheer_home")

    @property
    def xlsx_url(self) -> str:
        return self.facts.url("school_usage", "xlsx")

    @property
    def csv_url(self) -> str:
        return self.facts.url("school_usage", "csv")

    @property
    def seats_percent(self) -> int:
        return percent(self.facts.seats_used, self.facts.seats_bought)

    @property
    def night_counts(self) -> list[tuple[str, int]]:
        """(words, number) per state that occurred, for the strip's text alternative."""
        counts = Counter(night.state for night in self.facts.nights)
        return [(str(words), counts[state]) for state, words in NIGHT_WORDS.items() if counts[state]]

    @property
    def nights_text(self) -> str:
        """The strip's text alternative: "28 gelukt, 2 mislukt"."""
        return ", ".join(f"{n} {words}" for words, n in self.night_counts)


def attention_of_schools(schools: list[School], today: dt.date | None = None) -> list[SchoolAttention]:
    """Every school with its marks; the schools needing most first, then by name."""
    found = [
        SchoolAttention(fact, [m for rule in RULES if (m := rule(fact)) is not None])
        for fact in facts_of_schools(schools, today)
    ]
    return sorted(found, key=lambda item: (-item.count, item.school.name, item.school.pk))
