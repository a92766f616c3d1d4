"""A held night for the coordinator: what would change, and "Toch verwerken" or "Negeren".

Line one of every view: the access helper (coordinators only). The decisions are POST only;
the page that shows what would change is where they are asked.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roster import hold_actions
from roster.access import school_for_request
from roster.holds import reason_texts
from roster.models import HeldNight


@require_GET
def held_night(request: HttpRequest, school_id: int, held_night_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    hold = get_object_or_404(HeldNight, pk=held_night_id, school=access.school)
    context = access.context(hold=hold, summary=hold.summary or {}, reasons=reason_texts(hold))
    return render(request, "roster/held_night.html", context)


@require_POST
def held_night_apply(request: HttpRequest, school_id: int, held_night_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    try:
        hold_actions.apply_held_night(school=access.school, held_night_id=held_night_id, actor=access.actor)
    except hold_actions.HoldRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("De tegengehouden gegevens zijn toch verwerkt."))
    return redirect("beheer_home", school_id=access.school.pk)


@require_POST
def held_night_discard(request: HttpRequest, school_id: int, held_night_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    try:
        hold_actions.discard_held_night(school=access.school, held_night_id=held_night_id, actor=access.actor)
    except hold_actions.HoldRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _(
                "De tegengehouden gegevens zijn genegeerd; de gegevens van vandaag blijven staan. "
                "Vannacht worden de gegevens uit de schooladministratie opnieuw vergeleken."
            ),
        )
    return redirect("beheer_home", school_id=access.school.pk)
