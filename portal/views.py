"""The pages that combine every app: the teacher's start page and the Beheer home.

Line one of every view: the access helper.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from integrations.status import links_summary, registry_status
from licenses.overview import seats_not_restored
from licenses.overview import warnings as licence_warnings
from licenses.usage_export import usage_response
from portal import overview as portal_overview
from portal.cards import school_cards
from roster import overview
from roster.access import MY_SCHOOLS_MINIMUM, coordinated_schools_for_request, school_for_request
from roster.holds import open_holds, reason_texts
from roster.models import School
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


def _my_schools(request: HttpRequest) -> list[School]:
    """The schools of "Mijn scholen", or 404 for anyone who is ict-coördinator at fewer than two
    (they have Beheer of their one school; the page is not offered to them)."""
    schools = coordinated_schools_for_request(request)
    if len(schools) < MY_SCHOOLS_MINIMUM:
        raise Http404
    return schools


@require_GET
def my_schools(request: HttpRequest) -> HttpResponse:
    schools = _my_schools(request)
    cards = school_cards(schools)
    context = {
        "cards": cards,
        "has_my_schools": True,
        "needing": sum(1 for card in cards if card.count),
    }
    return render(request, "portal/my_schools.html", context)


@require_GET
def my_schools_usage(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """ "Licentiegebruik downloaden" for all of the coordinator's schools."""
    schools = _my_schools(request)
    return usage_response([school.pk for school in schools], fmt, "mijn-scholen", timezone.localdate())


@require_GET
def school_usage(request: HttpRequest, school_id: int, fmt: str) -> HttpResponseBase:
    """ "Licentiegebruik downloaden" for one school."""
    access = school_for_request(request, school_id, coordinator=True)
    school = access.school
    name = slugify(f"{school.brin}{school.dependancecode}") or str(school.pk)
    return usage_response([school.pk], fmt, name, timezone.localdate())
