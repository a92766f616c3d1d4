""" "Nieuw schooljaar": review the proposed links for the coming school year and apply them.

Line one of every view is the access helper; the change goes through licenses.actions.apply_new_year.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from licenses import actions, fragments, new_year, page_cache, stamps
from licenses.actions import Applied, LinkRefused
from licenses.models import LicenceKind
from roster.access import school_for_request


@require_http_methods(["GET", "POST"])
def new_school_year(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    here = reverse("licence_new_year", args=[access.school.pk])
    if request.method == "POST":
        try:
            applied = actions.apply_new_year(
                school=access.school,
                keys=request.POST.getlist("voorstel"),
                shown=request.POST.getlist("getoond"),
                actor=access.actor,
            )
        except LinkRefused as refused:
            messages.error(request, str(refused))
        else:
            level = messages.SUCCESS if applied.changed else messages.INFO
            messages.add_message(request, level, summary(applied))
        return redirect(here)
    school = access.school
    # The roster's school year (from the last change in Basispoort) decides what is proposed.
    roster_changed = school.mutation_timestamp.isoformat() if school.mutation_timestamp else ""

    def render_cards(current: stamps.Stamp) -> str:
        today = timezone.localdate()
        frame = page_cache.kept(
            "nieuw_schooljaar", school.pk, current, lambda: _frame(school, today), extra=roster_changed
        )
        plan = frame.plan
        cards = {}
        if plan and not plan.stale:
            cards = page_cache.licence_cards(
                "nieuw_schooljaar",
                school.pk,
                current,
                # A card proposes again this year's links and seats of its product.
                {item.licence.pk: current.of_product(item.licence.product_id) for item in plan.licences},
                lambda ids: _new_year_cards(school, plan.outline(only=ids), frame.roster, ids),
                extra=roster_changed,
            )
        return render_to_string(
            "licenses/_new_year_cards.html",
            {
                "school": school,
                "subtab": "nieuw_schooljaar",
                "plan": plan,
                "cards_html": fragments.joined(cards[item.licence.pk].html for item in plan.licences) if cards else "",
                "proposal_count": sum(card.facts for card in cards.values()),
                **page_cache.csrf_context(),
            },
        )

    cards = page_cache.cards(
        request, "nieuw_schooljaar", school.pk, render_cards, kinds=LicenceKind.values, extra=roster_changed
    )
    return render(request, "licenses/new_year.html", access.context(cards=cards, subtab="nieuw_schooljaar"))


@dataclass(frozen=True)
class _Frame:
    """What the page reads of the school's own data: the season and its licences (no proposals
    yet), and the roster's year levels the proposals are made from."""

    plan: new_year.NewYearPlan | None
    roster: new_year.RosterLevels | None


def _frame(school, today) -> _Frame:
    plan = new_year.plan_outline(school, today)
    if plan is None or plan.stale:
        return _Frame(plan, None)
    return _Frame(plan, new_year.roster_levels(school, plan.season.source))


def _new_year_cards(school, plan, roster, licence_ids: list[int]) -> dict[int, page_cache.Card]:
    """The cards of these licences of ``plan`` (an outline of its own), by licence id: their
    proposals, and how many (each one a ticked or unticked box)."""
    new_year.propose(plan, school, only=licence_ids, roster=roster)
    counts = {item.licence.pk: len(item.groups) + len(item.pupils) for item in plan.licences}
    return {pk: page_cache.Card(html, counts[pk]) for pk, html in fragments.new_year_cards(plan, licence_ids).items()}


def summary(applied: Applied) -> str:
    """ "12 groepen en 41 leerlingen gekoppeld." with the right plural for each number."""
    if not applied.changed:
        if applied.declined:
            return _("Er is niets gekoppeld. Wat je hebt uitgevinkt, blijft uitgevinkt.")
        return _("Er was niets meer te koppelen; er is niets veranderd.")
    groups = ngettext("%(count)d groep", "%(count)d groepen", applied.groups) % {"count": applied.groups}
    pupils = ngettext("%(count)d leerling", "%(count)d leerlingen", applied.pupils) % {"count": applied.pupils}
    return _("%(groups)s en %(pupils)s gekoppeld.") % {"groups": groups, "pupils": pupils}
