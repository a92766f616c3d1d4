"""What the coordinator is shown about the school's result links: status in plain Dutch and
how many results went out, never the LVS's raw fault text."""

from __future__ import annotations

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from integrations.models import BatchStatus, LinkStatus, ResultLink
from roster.models import School

# Results the LVS confirmed, per link (annotate a ResultLink queryset with it).
DELIVERED = {"delivered": Coalesce(Sum("batches__size", filter=Q(batches__status=BatchStatus.CONFIRMED)), 0)}


def explanation(link: ResultLink) -> str:
    """What the status means and what to do, for the coordinator; the LVS's own fault text stays in the logs."""
    if link.status == LinkStatus.KEY_REFUSED:
        return _(
            "%(lvs)s heeft de autorisatiesleutel geweigerd. Er worden geen resultaten verstuurd tot je een "
            "nieuwe sleutel invult: maak die aan in %(lvs)s en kies hier ‘Sleutel wijzigen’."
        ) % {"lvs": link.supplier.name}
    if link.status == LinkStatus.UNREACHABLE:
        return _("%(lvs)s was niet bereikbaar. Bingel probeert het later vanzelf opnieuw.") % {
            "lvs": link.supplier.name
        }
    if link.status_message:
        return _("De laatste levering aan %(lvs)s is niet gelukt. Bingel probeert het later vanzelf opnieuw.") % {
            "lvs": link.supplier.name
        }
    return ""


def with_explanations(links) -> list[ResultLink]:
    links = list(links)
    for link in links:
        link.explanation = explanation(link)
    return links


def links_summary(school: School) -> list[ResultLink]:
    """The school's current links with their LVS, for ``integrations/_links_summary.html`` (one query)."""
    return with_explanations(
        ResultLink.objects.current()
        .filter(school=school)
        .select_related("supplier")
        .annotate(**DELIVERED)
        .order_by("supplier__name")
    )
