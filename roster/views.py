"""School-scoped pages. Line one of every view: the access helper.

Everything here is read-only: the roster is managed in the school administration system and
arrives through Basispoort, so these pages only show it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from bingel_admin.htmx import fragment_or_page
from roster import overview
from roster.access import SchoolAccess, school_for_request
from roster.models import Group, Role
from roster.naming import group_order, label_pupils

PUPILS_PER_PAGE = 50
SEARCH_MAX_LENGTH = 100


@require_GET
def beheer_gegevens(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    context = access.context(counts=overview.roster_counts(access.school))
    return render(request, "roster/beheer_gegevens.html", context)


@require_GET
def beheer_groepen(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    return _groups_page(request, access, open_group=None)


@require_GET
def beheer_groep(request: HttpRequest, school_id: int, group_id: int) -> HttpResponse:
    """The "Details" of one group: its teachers and all its pupils, shown under the group.

    htmx asks for just that group's rows; without JavaScript the link loads the whole groups
    page with the group opened, so the page works either way.
    """
    access = school_for_request(request, school_id, coordinator=True)
    group = get_object_or_404(Group, pk=group_id, school=access.school, active=True)

    def rows() -> HttpResponse:
        opened = overview.groups_with_teachers(access.school).get(pk=group.pk)
        context = {"school": access.school, "group": opened, "pupils": label_pupils(overview.pupils_of_group(group))}
        return render(request, "roster/_group_rows.html", context)

    return fragment_or_page(request, rows, lambda: _groups_page(request, access, open_group=group))


def _groups_page(request: HttpRequest, access: SchoolAccess, open_group: Group | None) -> HttpResponse:
    groups = sorted(overview.groups_with_teachers(access.school), key=group_order)
    context = access.context(
        groups=groups,
        open_group_id=open_group.pk if open_group else None,
        pupils=label_pupils(overview.pupils_of_group(open_group)) if open_group else None,
    )
    return render(request, "roster/beheer_groepen.html", context)


@require_GET
def beheer_coordinatoren(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    context = access.context(
        coordinators=overview.staff_with_role(access.school, Role.ICT_COORDINATOR),
    )
    return render(request, "roster/beheer_coordinatoren.html", context)


@require_GET
def beheer_leerkrachten(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    context = access.context(
        teachers=overview.staff_with_role(access.school, *overview.TEACHING_ROLES),
    )
    return render(request, "roster/beheer_leerkrachten.html", context)


@require_GET
def beheer_leerlingen(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    query = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_LENGTH]
    groups = sorted(Group.objects.filter(school=access.school, active=True), key=group_order)
    chosen = request.GET.get("groep", "")
    group = next((g for g in groups if str(g.pk) == chosen), None)
    order = request.GET.get("sorteer", "")
    order = order if order in overview.PupilOrder.values else overview.PupilOrder.NAME
    ids = overview.search_pupils(access.school, query, group=group, order=order)
    page = Paginator(ids, PUPILS_PER_PAGE).get_page(request.GET.get("pagina"))
    pupils = label_pupils(overview.pupils_by_id(list(page.object_list)))
    kept = {
        "q": query,
        "groep": group.pk if group else "",
        "sorteer": order if order != overview.PupilOrder.NAME else "",
    }
    context = access.context(
        query=query,
        page=page,
        pupils=pupils,
        groups=groups,
        group=group,
        unknown_group=bool(chosen) and group is None,
        order=order,
        orders=overview.PupilOrder,
        # What a page link or a sort link keeps of the search, without the parts it changes.
        page_query=urlencode({k: v for k, v in kept.items() if v}),
        sort_query=urlencode({k: v for k, v in kept.items() if v and k != "sorteer"}),
    )
    return render(request, "roster/beheer_leerlingen.html", context)
