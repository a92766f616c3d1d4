"""School-scoped pages. Line one of every view: the access helper."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from licenses.models import Licence, LicenceKind
from roster.access import school_for_request
from roster.models import Group


@require_GET
def start_page(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id)
    groups = (
        Group.objects.filter(school=access.school, active=True, teachers=access.appointment)
        .annotate(pupil_count=Count("pupils", filter=Q(pupils__active=True)))
        .order_by("jaargroep", "name")
    )
    return render(request, "roster/start_page.html", {"access": access, "school": access.school, "groups": groups})


@require_GET
def beheer_home(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    school = access.school
    licences = Licence.objects.filter(school=school).aggregate(
        group_licences=Count("pk", filter=Q(kind=LicenceKind.PER_GROUP)),
        pupil_licences=Count("pk", filter=Q(kind=LicenceKind.PER_PUPIL)),
    )
    counts = {
        "groups": school.groups.filter(active=True).count(),
        "pupils": school.pupils.filter(active=True).count(),
        **licences,
    }
    return render(request, "roster/beheer_home.html", {"access": access, "school": school, "counts": counts})
