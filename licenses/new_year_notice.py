""" "Nieuw schooljaar … voorbereiden" on Beheer home: the coming school year's licences and how
much of them is still unlinked, for as long as ``licenses.new_year.season`` has a season."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from licenses.models import Licence, LicenceKind
from licenses.new_year import season
from roster.models import School


@dataclass(frozen=True)
class Notice:
    school_year: str
    group_licences: int
    group_licences_unlinked: int
    seats: int
    seats_free: int

    @property
    def anything_left(self) -> bool:
        return bool(self.group_licences_unlinked or self.seats_free)


def notice(school: School, today: dt.date | None = None) -> Notice | None:
    """ "Nieuw schooljaar … voorbereiden" with how much of that year is still unlinked (two queries)."""
    today = today or timezone.localdate()
    current = season(school, today)
    if current is None:
        return None
    licences = Licence.objects.filter(school=school, school_year=current.target).annotate(
        links=Count("group_links", filter=Q(group_links__group__active=True), distinct=True),
        used=Count("seats_taken", distinct=True),
    )
    group_total = group_unlinked = seats = free = 0
    for licence in licences:
        if licence.kind == LicenceKind.PER_GROUP:
            group_total += 1
            group_unlinked += licence.links == 0
        else:
            seats += licence.seats or 0
            free += licence.seats_left(licence.used)
    return Notice(current.target, group_total, group_unlinked, seats, free)
