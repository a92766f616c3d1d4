"""The pages that combine every app: the teacher's start page and the Beheer home.

Line one of every view: the access helper.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from integrations.status import links_summary, registry_status
from licenses.overview import seats_not_restored
from licenses.overview import warnings as licence_warnings
from portal import overview as portal_overview
from roster import overview
from roster.access import school_for_request
from roster.holds import open_holds, reason_texts
from roster.reports import latest_sync_summary


@require_GET
def start_page(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id)
    groups = overview.teacher_groups(access.appointment)
    context = access.context(
        groups=groups,
        school_year=overview.current_school_year(),
        methods=portal_overview.start_page_licences(access.school, groups),
    )
    return render(request, "roster/start_page.html", context)


@require_GET
def beheer_home(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    school = access.school
    held = open_holds([school.pk]).first()
    context = access.context(
        held=held,
        held_reasons=reason_texts(held) if held else [],
        seats_not_back=seats_not_restored(school),
        counts=overview.roster_counts(school),
        licences=portal_overview.licence_overview(school),
        warnings=licence_warnings(school, timezone.localdate()),
        result_links=links_summary(school),
        sync=latest_sync_summary(school),
        registry=registry_status(school),
    )
    return render(request, "roster/beheer_home.html", context)
