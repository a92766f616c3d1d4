"""The "Leerlingen en inlogcodes" pages of a group, for its coordinators and its own teachers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from roster import login_codes
from roster.access import group_for_request, may_change_codes
from roster.models import LoginMethod, Pupil


def _context(access, group, **extra) -> dict:
    # Coordinators see these pages inside the Beheer tabs; a group's own teacher under their start page.
    frame = "beheer/base.html" if access.is_coordinator else "roster/_teacher_frame.html"
    return access.context(group=group, frame=frame, may_change=may_change_codes(access), **extra)


@never_cache
@require_http_methods(["GET"])
def group_codes(request: HttpRequest, school_id: int, group_id: int) -> HttpResponse:
    access, group = group_for_request(request, school_id, group_id)
    return render(
        request,
        "roster/login_codes.html",
        _context(access, group, codes=login_codes.codes_for_group(group), method=login_codes.method_of(group)),
    )


@never_cache
@require_http_methods(["GET"])
def group_codes_print(request: HttpRequest, school_id: int, group_id: int) -> HttpResponse:
    access, group = group_for_request(request, school_id, group_id)
    return render(
        request,
        "roster/login_codes_print.html",
        _context(access, group, codes=login_codes.codes_for_group(group), login_url=settings.PUPIL_LOGIN_URL),
    )


@require_http_methods(["GET", "POST"])
def group_method(request: HttpRequest, school_id: int, group_id: int) -> HttpResponse:
    """ "Wijzig login methode voor de groep": confirm first, because every pupil gets a new code."""
    access, group = group_for_request(request, school_id, group_id, change=True)
    current = login_codes.method_of(group)
    back = reverse("group_login_codes", args=[access.school.pk, group.pk])
    if request.method == "GET":
        return render(
            request,
            "roster/login_method_confirm.html",
            _context(access, group, current=current, methods=LoginMethod.choices),
        )
    try:
        count = login_codes.switch_group_method(group=group, method=request.POST.get("method", ""), actor=access.actor)
    except login_codes.CodeRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    messages.success(
        request,
        _("%(group)s logt nu in met %(method)s; %(count)s leerlingen hebben een nieuwe code.")
        % {"group": group.name, "method": LoginMethod(request.POST["method"]).label.lower(), "count": count},
    )
    return redirect(back)


@never_cache
@require_http_methods(["GET", "POST"])
def pupil_code(request: HttpRequest, school_id: int, group_id: int, pupil_id: int) -> HttpResponse:
    """ "Wachtwoord/leerlingplaatje wijzigen": a suggested new code, or one of the coordinator's choice."""
    access, group = group_for_request(request, school_id, group_id, change=True)
    pupil = get_object_or_404(Pupil, pk=pupil_id, school=access.school, group=group, active=True)
    method = login_codes.method_of(group)
    back = reverse("group_login_codes", args=[access.school.pk, group.pk])
    error = ""
    if request.method == "POST":
        if method == LoginMethod.PICTURES and "code" not in request.POST:
            raw = "-".join(request.POST.get(f"plaatje{n}", "") for n in range(1, login_codes.PICTURES_PER_CODE + 1))
        else:
            raw = request.POST.get("code", "")
        try:
            login_codes.set_pupil_code(pupil=pupil, raw_code=raw, actor=access.actor)
        except login_codes.CodeRefused as refused:
            error = str(refused)
        else:
            messages.success(request, _("De inlogcode van %(name)s is gewijzigd.") % {"name": pupil.full_name})
            return redirect(back)
    suggestion = login_codes.suggestion_for(pupil)
    return render(
        request,
        "roster/login_code_change.html",
        _context(
            access,
            group,
            pupil=pupil,
            method=method,
            error=error,
            suggestion=suggestion,
            suggestion_shown=login_codes.ShownCode(pupil, method, suggestion),
            pictures=[(name, str(label)) for name, label in login_codes.PICTURES.items()],
            # What was typed or chosen stays on the form after a refusal, so it can be corrected.
            entered=request.POST.get("code", "") if error and method == LoginMethod.NUMBERS else "",
            slots=[
                (n, request.POST.get(f"plaatje{n}", "") if error else "")
                for n in range(1, login_codes.PICTURES_PER_CODE + 1)
            ],
        ),
        status=400 if error else 200,
    )
