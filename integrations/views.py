"""The coordinator's "Resultaatkoppelingen" screen. Line one of every view: the access helper.

The key is posted once and never rendered back; ``sensitive_post_parameters`` keeps it out of
error reports too.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import F, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from bingel_admin.htmx import fragment_or_page
from integrations import actions
from integrations.forms import AddLinkForm, ChangeKeyForm
from integrations.link_status import LinkStatus, after_check
from integrations.models import BatchStatus, DeliveryBatch, ResultLink
from integrations.status import DELIVERED, with_explanations
from roster.access import school_for_request

# Always true once the key has been sent: the answer itself is in the link's status cell, which
# follows the check (htmx), so this message never contradicts the row beside it.
CHECKING_MESSAGE = gettext_lazy(
    "De sleutel is ter controle naar %(lvs)s gestuurd. Het antwoord verschijnt hieronder bij Status; "
    "zonder JavaScript zie je het na het vernieuwen van de pagina."
)
DROPPED_MESSAGE = gettext_lazy(
    "%(lvs)s weigert deze autorisatiesleutel. De koppeling is daarom niet bewaard: controleer de sleutel "
    "en voeg de koppeling opnieuw toe."
)
# How long the links page names a link that was not kept because its key was refused.
DROPPED_SHOWN_FOR = dt.timedelta(days=1)


def _key_message(school, link_id) -> tuple[int, str] | None:
    """What is true now of the key just added or changed (``?sleutel=<id>`` on the links page):
    the check is a Celery task, so it may be running or done by the time the page is shown."""
    link = ResultLink.objects.filter(school=school, pk=link_id).select_related("supplier").first()
    if link is None:
        return None
    lvs = link.supplier.name
    if not link.is_current:
        if link.status == LinkStatus.KEY_REFUSED and link.withdrawn_by_name == lvs:
            return messages.ERROR, str(DROPPED_MESSAGE) % {"lvs": lvs}
        return None
    if link.status == LinkStatus.CHECKING:
        return messages.INFO, str(CHECKING_MESSAGE) % {"lvs": lvs}
    level = messages.SUCCESS if link.status == LinkStatus.ACTIVE else messages.WARNING
    return level, after_check(link)


def _back_to_links(school, link: ResultLink) -> HttpResponse:
    """After adding or changing a key: the links page, which says what is true of it when shown."""
    return redirect(reverse("resultlinks", kwargs={"school_id": school.pk}) + f"?sleutel={link.pk:d}")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dropped_links(school):
    """Links added lately whose key the supplier refused, not kept, and not added again since."""
    return (
        ResultLink.objects.filter(
            school=school,
            status=LinkStatus.KEY_REFUSED,
            keep_if_refused=False,
            withdrawn_at__gte=timezone.now() - DROPPED_SHOWN_FOR,
            withdrawn_by_name=F("supplier__name"),
        )
        .exclude(supplier__in=ResultLink.objects.current().filter(school=school).values("supplier"))
        .select_related("supplier")
        .order_by("-withdrawn_at")
    )


def _links_of(school):
    """The school's current links with what the table shows: deliveries and the last unsendable batch."""
    return (
        ResultLink.objects.current()
        .filter(school=school)
        .select_related("supplier")
        .annotate(
            **DELIVERED,
            unsendable=Subquery(
                DeliveryBatch.objects.filter(link=OuterRef("pk"), status=BatchStatus.UNSENDABLE)
                .order_by("-id")
                .values("last_error")[:1]
            ),
        )
    )


@require_http_methods(["GET"])
def links(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    return _links_page(request, access)


def _links_page(request: HttpRequest, access) -> HttpResponse:
    said = None
    if "sleutel" in request.GET:
        said = _key_message(access.school, _int(request.GET["sleutel"]))
    context = access.context(
        links=with_explanations(_links_of(access.school)),
        dropped=list(_dropped_links(access.school)),
        key_message=said and {"level": messages.DEFAULT_TAGS[said[0]], "text": said[1]},
    )
    return render(request, "integrations/links.html", context)


@require_http_methods(["GET"])
def link_status(request: HttpRequest, school_id: int, link_id: int) -> HttpResponse:
    """The status cell of one link, which the links page polls (htmx) while the key is checked.

    Once the check is done the cell stops polling and says what the supplier answered. Without
    JavaScript the links page itself shows the status when it is refreshed.
    """
    access = school_for_request(request, school_id, coordinator=True)
    dropped = _dropped_links(access.school).filter(pk=link_id).first()
    if dropped is not None:  # refused at the first check and not kept: the cell says so, and stops asking
        dropped.delivered, dropped.unsendable = 0, None
        outcome = str(DROPPED_MESSAGE) % {"lvs": dropped.supplier.name}
        return render(
            request, "integrations/_link_status_cell.html", access.context(link=dropped, outcome=outcome, dropped=True)
        )
    link = get_object_or_404(_links_of(access.school), pk=link_id)

    def cell() -> HttpResponse:
        with_explanations([link])
        outcome = "" if link.is_checking else after_check(link)
        return render(request, "integrations/_link_status_cell.html", access.context(link=link, outcome=outcome))

    # Opened on its own (or restored from history), the cell's address shows the whole links page.
    return fragment_or_page(request, cell, lambda: _links_page(request, access))


@sensitive_post_parameters("key")
@require_http_methods(["GET", "POST"])
def link_add(request: HttpRequest, school_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    form = AddLinkForm(request.POST or None, school=access.school)
    if request.method == "POST" and form.is_valid():
        try:
            link = actions.add_link(
                school=access.school,
                supplier=form.cleaned_data["supplier"],
                key=form.cleaned_data["key"],
                staff=access.staff,
                actor=access.actor,
                keep_if_refused=form.cleaned_data["keep_if_refused"],
            )
        except actions.LinkExists:
            form.add_error("supplier", _("De school heeft al een koppeling met dit leerlingvolgsysteem."))
        else:
            return _back_to_links(access.school, link)
    return render(request, "integrations/link_form.html", access.context(form=form))


@sensitive_post_parameters("key")
@require_http_methods(["GET", "POST"])
def link_change_key(request: HttpRequest, school_id: int, link_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    link = get_object_or_404(ResultLink.objects.current().select_related("supplier"), pk=link_id, school=access.school)
    form = ChangeKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.change_key(link=link, key=form.cleaned_data["key"], actor=access.actor)
        return _back_to_links(access.school, link)
    context = access.context(form=form, link=link)
    return render(request, "integrations/link_change_key.html", context)


@require_http_methods(["GET", "POST"])
def link_remove(request: HttpRequest, school_id: int, link_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    link = get_object_or_404(ResultLink.objects.current().select_related("supplier"), pk=link_id, school=access.school)
    if request.method == "POST":
        actions.remove_link(link=link, actor=access.actor)
        messages.success(
            request,
            _("De koppeling met %(lvs)s is verwijderd. Er worden geen resultaten meer naar %(lvs)s verstuurd.")
            % {"lvs": link.supplier.name},
        )
        return redirect("resultlinks", school_id=access.school.pk)
    return render(request, "integrations/link_remove.html", access.context(link=link))
