"""The coordinator's "Resultaatkoppelingen" screen. Line one of every view: the access helper.

The key is posted once and never rendered back; ``sensitive_post_parameters`` keeps it out of
error reports too.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from bingel_admin.htmx import fragment_or_page
from integrations import actions
from integrations.forms import AddLinkForm, ChangeKeyForm
from integrations.link_status import after_check
from integrations.models import BatchStatus, DeliveryBatch, ResultLink
from integrations.status import DELIVERED, with_explanations
from roster.access import school_for_request

CHECKING_MESSAGE = gettext_lazy(
    "De sleutel wordt gecontroleerd bij %(lvs)s. De status hieronder wordt vanzelf bijgewerkt; "
    "zonder JavaScript zie je hem na het vernieuwen van de pagina."
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
    context = access.context(links=with_explanations(_links_of(access.school)))
    return render(request, "integrations/links.html", context)


@require_http_methods(["GET"])
def link_status(request: HttpRequest, school_id: int, link_id: int) -> HttpResponse:
    """The status cell of one link, which the links page polls (htmx) while the key is checked.

    Once the check is done the cell stops polling and says what the supplier answered. Without
    JavaScript the links page itself shows the status when it is refreshed.
    """
    access = school_for_request(request, school_id, coordinator=True)
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
            )
        except actions.LinkExists:
            form.add_error("supplier", _("De school heeft al een koppeling met dit leerlingvolgsysteem."))
        else:
            messages.info(request, str(CHECKING_MESSAGE) % {"lvs": link.supplier.name})
            return redirect("resultlinks", school_id=access.school.pk)
    return render(request, "integrations/link_form.html", access.context(form=form))


@sensitive_post_parameters("key")
@require_http_methods(["GET", "POST"])
def link_change_key(request: HttpRequest, school_id: int, link_id: int) -> HttpResponse:
    access = school_for_request(request, school_id, coordinator=True)
    link = get_object_or_404(ResultLink.objects.current().select_related("supplier"), pk=link_id, school=access.school)
    form = ChangeKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.change_key(link=link, key=form.cleaned_data["key"], actor=access.actor)
        messages.info(request, str(CHECKING_MESSAGE) % {"lvs": link.supplier.name})
        return redirect("resultlinks", school_id=access.school.pk)
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
