""" "Nieuw schooljaar": review the proposed links for the coming school year and apply them.

Line one of every view is the access helper; the change goes through licenses.new_year_apply.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from licenses import fragments, new_year, new_year_apply, page_cache
from licenses.actions import LinkRefused
from roster.access import school_for_request


@require_http_methods(["GET", "POST"])
def new_school_year(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    here = reverse("licence_new_year", args=[access.school.pk])
    if request.method == "POST":
        try:
            applied = new_year_apply.apply_new_year(
                school=access.school,
                keys=request.POST.getlist("voorstel"),
                shown=request.POST.getlist("getoond"),
                actor=access.actor,
            )
        except LinkRefused as refused:
            messages.error(request, str(refused))
        else:
            level = messages.SUCCESS if applied.changed else messages.INFO
            messages.add_message(request, level, new_year_apply.summary(applied))
        return redirect(here)
    school = access.school

    def render_cards() -> str:
        plan = new_year.build_plan(school, timezone.localdate())
        if plan:
            fragments.new_year_parts(plan)
        return render_to_string(
            "licenses/_new_year_cards.html",
            {"school": school, "subtab": "nieuw_schooljaar", "plan": plan, **page_cache.csrf_context()},
        )

    # The roster's school year (from the last change in Basispoort) decides what is proposed.
    roster_changed = school.mutation_timestamp.isoformat() if school.mutation_timestamp else ""
    cards = page_cache.cards(request, "nieuw_schooljaar", school.pk, render_cards, extra=roster_changed)
    return render(request, "licenses/new_year.html", access.context(cards=cards, subtab="nieuw_schooljaar"))
