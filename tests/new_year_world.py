"""A demo world that moves up a school year, for the "Nieuw schooljaar" tests.

``build_moved_world`` runs ``demo_world`` (this year's feed and licences, next year's licences),
adds links the demo leaves out (a toddler product on the 1/2 groups, a remedial-reading seat
for a pupil in group 6, a seat for a pupil who will stay back), keeps the year levels as the
nightly job does, remembers what every pupil looked like, and then imports the next-year feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from demo.next_year import stays_back
from demo.world import SCHOOL_A, demo_schools
from licenses.models import GroupLink, Licence, LicenceKind, Seat
from licenses.year_levels import remember_year_levels
from roster.feed import FolderSource
from roster.importer import sync_roster
from roster.models import Group, Pupil, School
from roster.school_year import next_school_year, school_year_of


@dataclass
class MovedWorld:
    school: School
    source: str
    target: str
    levels_before: dict[int, str]  # pupil id -> jaargroep in the old year
    seat_holders: dict[str, set[int]]  # product code -> pupils holding a seat in the old year
    group_links: dict[str, set[str]]  # product code -> las keys of groups linked in the old year
    group_levels_before: dict[str, set[str]]  # las key -> year levels in the old year


def build_moved_world(tmp_path: Path, *, move: bool = True) -> MovedWorld:
    feed = tmp_path / "feed"
    call_command("demo_world", feed_dir=str(feed))
    school = School.objects.get(basispoort_id=SCHOOL_A)
    source = school_year_of(timezone.localdate())
    target = next_school_year(source)
    toddlers = Licence.objects.get(
        school=school, school_year=source, product__code="kleutertuin-digi", kind=LicenceKind.PER_GROUP
    )
    GroupLink.objects.bulk_create(
        [
            GroupLink(licence=toddlers, group=g, school=school)
            for g in school.groups.filter(name__startswith="Groep 1/2")
        ]
    )
    remedial = Licence.objects.get(school=school, school_year=source, product__code="leeslicht-remedial")
    in_six = Pupil.objects.filter(school=school, group__name="Groep 6").order_by("basispoort_id").first()
    Seat.objects.create(licence=remedial, pupil=in_six, school=school)
    feed_pupils = demo_schools()[0].roster["leerlingen"]
    repeater = next(p for n, p in enumerate(feed_pupils) if stays_back(n) and p["jaargroep"] in {"4", "5", "6"})
    plus = Licence.objects.get(school=school, school_year=source, product__code="rekenroute-plus")
    Seat.objects.create(licence=plus, pupil=school.pupils.get(basispoort_id=repeater["id"]), school=school)
    remember_year_levels()
    levels_before = dict(Pupil.objects.filter(school=school).values_list("pk", "jaargroep"))
    seat_holders: dict[str, set[int]] = {}
    for code, pupil_id in Seat.objects.filter(school=school, licence__school_year=source).values_list(
        "licence__product__code", "pupil_id"
    ):
        seat_holders.setdefault(code, set()).add(pupil_id)
    group_links: dict[str, set[str]] = {}
    for code, key in GroupLink.objects.filter(school=school, licence__school_year=source).values_list(
        "licence__product__code", "group__las_key"
    ):
        group_links.setdefault(code, set()).add(key)
    group_levels_before = {Group.objects.get(pk=pk).las_key: levels for pk, levels in group_levels_now(school).items()}
    if move:
        sync_roster(FolderSource(f"{feed}-volgend-jaar"), trigger="demo")
    school.refresh_from_db()
    return MovedWorld(school, source, target, levels_before, seat_holders, group_links, group_levels_before)


def group_levels_now(school: School) -> dict[int, set[str]]:
    levels: dict[int, set[str]] = {}
    for group in Group.objects.filter(school=school, active=True, is_subgroup=False):
        if group.jaargroep:
            levels[group.pk] = {group.jaargroep}
        else:
            levels[group.pk] = set(
                Pupil.objects.filter(group=group, active=True).exclude(jaargroep="").values_list("jaargroep", flat=True)
            )
    return levels
