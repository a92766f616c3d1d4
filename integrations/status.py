"""What Beheer home shows about the school's result links."""

from __future__ import annotations

from integrations.models import ResultLink
from roster.models import School


def links_summary(school: School) -> list[ResultLink]:
    """The school's current links with their LVS, for ``integrations/_links_summary.html`` (one query)."""
    return list(
        ResultLink.objects.current().filter(school=school).select_related("supplier").order_by("supplier__name")
    )
