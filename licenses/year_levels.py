"""The nightly snapshot of every group's year levels, which next year's proposals match on."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from licenses import stamps
from licenses.models import (
    GroupYearLevels,
)
from roster.models import Group, Pupil, School
from roster.school_year import school_year_of, sorted_year_levels


def pupils_year_levels(school_ids) -> dict[int, set[str]]:
    """Per group of these schools, the year levels of its active pupils (one query)."""
    levels: dict[int, set[str]] = defaultdict(set)
    for group_id, level in (
        Pupil.objects.filter(school_id__in=school_ids, active=True, group__isnull=False)
        .values_list("group_id", "jaargroep")
        .distinct()
        .order_by()
    ):
        if level:
            levels[group_id].add(level)
    return levels


def group_year_levels(jaargroep: str, pupil_levels: set[str]) -> set[str]:
    """The rule, written once: a group's year levels are its own jaargroep, or for a combination
    group (no jaargroep of its own) those of its active pupils."""
    return {jaargroep} if jaargroep else set(pupil_levels)


def remember_year_levels(school_ids: list[int] | None = None, chunk: int = 500) -> int:
    """Write each active group's name and year levels for the school year of its school's roster.

    Runs before the nightly import, so when a new group division arrives (groups renamed,
    moved up, merged), last year's levels of every group are still known. Set-based: three
    queries and one upsert per chunk of schools. Returns the number of rows written.
    """
    schools = School.objects.filter(active=True, mutation_timestamp__isnull=False)
    if school_ids is not None:
        schools = schools.filter(pk__in=school_ids)
    ids = list(schools.order_by("pk").values_list("pk", "mutation_timestamp"))
    written = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        year_of = {pk: school_year_of(timezone.localtime(ts).date()) for pk, ts in part}
        levels = pupils_year_levels(list(year_of))
        rows = []
        for group_id, school_id, name, jaargroep in Group.objects.filter(
            school_id__in=year_of, active=True, is_subgroup=False
        ).values_list("pk", "school_id", "name", "jaargroep"):
            found = group_year_levels(jaargroep, levels.get(group_id, set()))
            rows.append(
                GroupYearLevels(
                    group_id=group_id,
                    school_id=school_id,
                    school_year=year_of[school_id],
                    name=name,
                    levels=sorted_year_levels(found),
                )
            )
        GroupYearLevels.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["group", "school_year"],
            update_fields=["name", "levels"],
            batch_size=2000,
        )
        # "Nieuw schooljaar" matches on these levels: its cached part is rendered again.
        stamps.bump(year_of)
        written += len(rows)
    return written
