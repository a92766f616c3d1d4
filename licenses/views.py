"""Licence screens: "Licenties per groep", "Licenties per kind" and the "Logboek".

Line one of every view is the access helper; changes go through licenses.actions.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.models import AuditEvent
from bingel_admin.htmx import fragment_or_page
from licenses import actions, fragments, page_cache, stamps
from licenses.models import GroupLink, Licence, LicenceKind, Seat
from licenses.overview import (
    LicenceCard,
    by_school_year,
    current_licences,
    gap_messages,
    gaps_in,
    group_links,
    group_page,
    rows_with_links,
    rows_with_seats,
    seat_warnings,
)
from roster.access import school_for_request
from roster.models import Group, Pupil
from roster.naming import group_order, label_pupils

# The one wording of the handbook's lesson-week warning, on "Licenties per groep" and "Kies het kind".
LESSON_WEEK_NOTE = gettext_lazy(
    "Let op! Voeg je tijdens een lesweek een leerling toe aan een groep, dan moet de leerkracht "
    "de lopende lesweek (Basis digitaal) of het lopende blok/thema (Basis papier of oefensoftware) "
    "voor dat kind starten."
)


def _sorted_groups(groups: list[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g.jaargroep, g.name))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
def licences_per_group(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    school = access.school

    def render_cards(current: stamps.Stamp) -> str:
        today = timezone.localdate()
        frame = page_cache.kept("per_groep", school.pk, current, lambda: group_page(school, today))

        def build(ids: list[int]) -> dict[int, page_cache.Card]:
            licences = [licence for licence in frame.licences if licence.pk in ids]
            rows = rows_with_links(licences, frame.groups, group_links(licences))
            html = fragments.group_cards(school.pk, rows, page_cache.CSRF_PLACEHOLDER)
            # The coverage warnings read each card's linked groups.
            return {row.licence.pk: page_cache.Card(html[row.licence.pk], {g.pk for g in row.linked}) for row in rows}

        cards = page_cache.licence_cards(
            "per_groep", school.pk, current, {lic.pk: current.token(lic.pk) for lic in frame.licences}, build
        )
        return render_to_string(
            "licenses/_group_cards.html",
            {
                "school": school,
                "subtab": "per_groep",
                "lesson_week_note": LESSON_WEEK_NOTE,
                "licences": frame.licences,
                "cards_html": _year_cards(frame.licences, cards, today),
                "warnings": gap_messages(gaps_in(frame.coverage, {pk: card.facts for pk, card in cards.items()})),
            },
        )

    cards, left = fragments.place_messages(
        page_cache.cards(request, "per_groep", school.pk, render_cards, kinds=[LicenceKind.PER_GROUP]),
        messages.get_messages(request),
    )
    return render(
        request, "licenses/per_group.html", access.context(cards=cards, top_messages=left, subtab="per_groep")
    )


@require_POST
def link_groups(request: HttpRequest, school_id: int, licence_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    licence = get_object_or_404(Licence, pk=licence_id, school=access.school, kind=LicenceKind.PER_GROUP)
    # No #fragment: the message goes into the licence's card and takes the focus (place_messages),
    # which a browser skips when the address names a fragment.
    back = reverse("licences_per_group", args=[access.school.pk])
    card = fragments.card_message_tag(licence.pk)
    level = request.POST.get("jaargroep", "").strip()
    group_ids = [gid for gid in map(_int, request.POST.getlist("group")) if gid is not None]
    if not level and not group_ids:
        messages.error(request, _("Kies eerst een groep en klik dan op ‘Toevoegen’."), extra_tags=card)
        return redirect(back)
    try:
        if level:
            new, already = actions.link_year_group(
                school=access.school, licence_id=licence.pk, level=level, actor=access.actor
            )
        else:
            new, already = actions.link_groups(
                school=access.school, licence_id=licence.pk, group_ids=group_ids, actor=access.actor
            )
    except actions.LinkRefused as refused:
        messages.error(request, str(refused), extra_tags=card)
        return redirect(back)
    # A second click (or a second tab) finds the groups linked already: that changes nothing, and
    # the message says how things stand, which is what the first click did.
    if level and not new and not already:
        if not Group.objects.filter(school=access.school, active=True, jaargroep=level).exists():
            messages.error(
                request, _("Deze school heeft geen groep in jaargroep %(level)s.") % {"level": level}, extra_tags=card
            )
            return redirect(back)
        messages.success(
            request,
            _("Alle groepen van jaargroep %(level)s zijn gekoppeld aan %(product)s.")
            % {"level": level, "product": licence.product.name},
            extra_tags=card,
        )
        return redirect(back)
    messages.success(
        request,
        _("%(product)s is gekoppeld aan %(groups)s.")
        % {"product": licence.product.name, "groups": ", ".join(g.name for g in _sorted_groups(new + already))},
        extra_tags=card,
    )
    return redirect(back)


@require_http_methods(["GET", "POST"])
def unlink_group(request: HttpRequest, school_id: int, licence_id: int, group_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    licence = get_object_or_404(
        Licence.objects.select_related("product"), pk=licence_id, school=access.school, kind=LicenceKind.PER_GROUP
    )
    group = get_object_or_404(Group, pk=group_id, school=access.school)
    return _confirm_then_unlink(
        request,
        access,
        licence,
        what=group.name,
        linked=GroupLink.objects.filter(licence=licence, group=group).exists(),
        unlink=lambda: actions.unlink_group(
            school=access.school, licence_id=licence.pk, group_id=group.pk, actor=access.actor
        ),
        back=reverse("licences_per_group", args=[access.school.pk]) + f"#licentie-{licence.pk}",
        subtab="per_groep",
    )


def _confirm_then_unlink(request, access, licence, *, what, linked, unlink, back, subtab) -> HttpResponse:
    """GET asks "Weet je zeker…?"; POST unlinks. What another coordinator unlinked in the
    meantime is said so, not a 404."""
    gone = _("%(what)s is niet (meer) gekoppeld.") % {"what": what}
    # After the change the message goes into the licence's card and takes the focus
    # (fragments.place_messages); the address then names no #fragment, which would undo that.
    after, card = back.partition("#")[0], fragments.card_message_tag(licence.pk)
    if request.method == "GET":
        if not linked:
            messages.info(request, gone, extra_tags=card)
            return redirect(after)
        context = access.context(
            what=what,
            licence=licence,
            back=back,
            subtab=subtab,
        )
        return render(request, "licenses/confirm_unlink.html", context)
    try:
        outcome = unlink()
    except actions.LinkRefused as refused:
        messages.error(request, str(refused), extra_tags=card)
    else:
        if outcome is actions.Outcome.ALREADY:
            messages.info(request, gone, extra_tags=card)
        else:
            messages.success(
                request,
                _("%(what)s is ontkoppeld van %(product)s.") % {"what": what, "product": licence.product.name},
                extra_tags=card,
            )
    return redirect(after)


@require_GET
def licences_per_pupil(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    school = access.school

    def render_cards(current: stamps.Stamp) -> str:
        today = timezone.localdate()
        licences = page_cache.kept(
            "per_kind", school.pk, current, lambda: list(current_licences(school, LicenceKind.PER_PUPIL, today))
        )
        cards = page_cache.licence_cards(
            "per_kind",
            school.pk,
            current,
            {licence.pk: current.token(licence.pk) for licence in licences},
            lambda ids: _pupil_cards(school, [licence for licence in licences if licence.pk in ids]),
        )
        return render_to_string(
            "licenses/_pupil_cards.html",
            {
                "school": school,
                "subtab": "per_kind",
                "cards_html": _year_cards(licences, cards, today),
                # Each card knows its seats used.
                "warnings": seat_warnings(licences, {pk: card.facts for pk, card in cards.items()}),
            },
        )

    cards, left = fragments.place_messages(
        page_cache.cards(request, "per_kind", school.pk, render_cards, kinds=[LicenceKind.PER_PUPIL]),
        messages.get_messages(request),
    )
    return render(request, "licenses/per_pupil.html", access.context(cards=cards, top_messages=left, subtab="per_kind"))


def _pupil_cards(school, licences: list[Licence]) -> dict[int, page_cache.Card]:
    """The cards of these per-pupil licences, by licence id: seats used, the linked pupils."""
    cards = {}
    for row in rows_with_seats(licences):
        row.rows_html = fragments.seat_rows(school.pk, row)
        html = render_to_string("licenses/_pupil_card.html", {"school": school, "row": row})
        cards[row.licence.pk] = page_cache.Card(html, row.used)  # the seat warnings read ``used``
    return cards


def _year_cards(licences: list[Licence], cards: dict[int, page_cache.Card], today) -> str:
    """The cards in the licences' order, under a heading per school year."""
    years = by_school_year([LicenceCard(licence) for licence in licences], today)
    return fragments.year_cards(years, {pk: card.html for pk, card in cards.items()})


@require_http_methods(["GET", "POST"])
def assign_seat(request: HttpRequest, school_id: int, licence_id: int) -> HttpResponse:
    """Step 1: choose the child's group; step 2: choose the child; "Toevoegen". With htmx the
    child list follows the group choice in place; without JavaScript it is a second GET."""
    access = school_for_request(request, school_id, coordinator=True)
    licence = get_object_or_404(
        Licence.objects.select_related("product__method"),
        pk=licence_id,
        school=access.school,
        kind=LicenceKind.PER_PUPIL,
    )
    params = request.POST if request.method == "POST" else request.GET
    groups = sorted(Group.objects.filter(school=access.school, active=True), key=group_order)
    group = next((g for g in groups if g.pk == _int(params.get("groep"))), None)
    here = reverse("licence_assign_seat", args=[access.school.pk, licence.pk])

    if request.method == "POST":
        pupil_id = _int(request.POST.get("pupil"))
        if pupil_id is None:
            messages.error(request, _("Kies eerst een kind en klik dan op ‘Toevoegen’."))
        else:
            try:
                assigned = actions.assign_seat(
                    school=access.school, licence_id=licence.pk, pupil_id=pupil_id, actor=access.actor
                )
            except actions.LinkRefused as refused:
                messages.error(request, str(refused))
            else:
                # Assigned now or by a click just before: either way the child is linked, and
                # that is what the message says.
                messages.success(
                    request,
                    _("%(name)s is gekoppeld aan %(product)s.")
                    % {"name": assigned.pupil.full_name, "product": licence.product.name},
                )
        return redirect(f"{here}?groep={group.pk}" if group else here)

    used = Seat.objects.filter(licence=licence).count()
    pupils = []
    if group:
        # Named over the whole group, so a child whose namesake already has a seat is still told apart.
        everyone = label_pupils(
            Pupil.objects.filter(school=access.school, group=group, active=True)
            .annotate(has_seat=Exists(Seat.objects.filter(licence=licence, pupil=OuterRef("pk"))))
            .order_by("last_name", "first_name", "pk")
        )
        pupils = [pupil for pupil in everyone if not pupil.has_seat]
    context = access.context(
        licence=licence,
        available=licence.seats_left(used),
        used=used,
        groups=groups,
        group=group,
        pupils=pupils,
        subtab="per_kind",
        lesson_week_note=LESSON_WEEK_NOTE,
    )
    # The group choice is pushed into the URL: Back without htmx's cache asks for the whole page.
    return fragment_or_page(
        request,
        lambda: render(request, "licenses/_pupil_choice.html", context),
        lambda: render(request, "licenses/assign_seat.html", context),
    )


@require_http_methods(["GET", "POST"])
def release_seat(request: HttpRequest, school_id: int, licence_id: int, pupil_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    licence = get_object_or_404(
        Licence.objects.select_related("product"), pk=licence_id, school=access.school, kind=LicenceKind.PER_PUPIL
    )
    pupil = get_object_or_404(Pupil, pk=pupil_id, school=access.school)
    return _confirm_then_unlink(
        request,
        access,
        licence,
        what=pupil.full_name,
        linked=Seat.objects.filter(licence=licence, pupil=pupil).exists(),
        unlink=lambda: actions.release_seat(
            school=access.school, licence_id=licence.pk, pupil_id=pupil.pk, actor=access.actor
        ),
        back=reverse("licences_per_pupil", args=[access.school.pk]) + f"#licentie-{licence.pk}",
        subtab="per_kind",
    )


@require_GET
def audit_log(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    licences = list(
        Licence.objects.filter(school=access.school).select_related("product").order_by("product__name", "school_year")
    )
    chosen = next((lic for lic in licences if lic.pk == _int(request.GET.get("licentie"))), None)
    events = AuditEvent.objects.filter(school=access.school).order_by("-created_at", "-id")
    if chosen:
        events = events.filter(licence=chosen)
    page = Paginator(events, 25).get_page(request.GET.get("pagina"))
    return render(
        request,
        "licenses/audit_log.html",
        access.context(page=page, licences=licences, chosen=chosen),
    )
