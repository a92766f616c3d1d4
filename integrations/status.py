"""What Beheer home shows about the school's result links (status in plain Dutch and how many
results went out, never the LVS's raw fault text) and its tiles in the Basispoort portal."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from integrations.link_status import explanation
from integrations.models import BatchStatus, RegistryPushState, RegistrySchool, RegistrySet, ResultLink
from roster.models import School

# Results the LVS confirmed, per link (annotate a ResultLink queryset with it).
DELIVERED = {"delivered": Coalesce(Sum("batches__size", filter=Q(batches__status=BatchStatus.CONFIRMED)), 0)}


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


class RegistryView(enum.Enum):
    UP_TO_DATE = "up_to_date"
    QUEUED = "queued"
    RETRYING = "retrying"
    CERTIFICATE = "certificate"
    NEVER = "never"


@dataclass(frozen=True)
class RegistryStatus:
    """What Beheer home says about the school's tiles in the Basispoort portal."""

    view: RegistryView
    updated_at: dt.datetime | None = None
    waiting_since: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None
    refused_sets: bool = False


def registry_status(school: School) -> RegistryStatus | None:
    """None when no licence registry is configured; otherwise one query."""
    if not settings.LICENCE_REGISTRY_URL:
        return None
    return registry_status_of(registry_rows([school.pk]).get(school.pk))


def registry_rows(school_ids: list[int]) -> dict[int, RegistrySchool]:
    """The schools' registry rows by school id, each annotated with ``refused`` (one query)."""
    rows = RegistrySchool.objects.filter(school_id__in=school_ids).annotate(
        refused=Exists(RegistrySet.objects.filter(school_id=OuterRef("school_id"), state=RegistryPushState.REFUSED))
    )
    return {row.school_id: row for row in rows}


def registry_status_of(row: RegistrySchool | None) -> RegistryStatus:
    """The status of a ``RegistrySchool`` row annotated with ``refused`` (no query)."""
    if row is None:
        return RegistryStatus(RegistryView.NEVER)
    if row.dirty_since is None and row.last_success_at is not None:
        view = RegistryView.UP_TO_DATE
    elif row.certificate_refused:
        view = RegistryView.CERTIFICATE
    elif row.attempts:
        view = RegistryView.RETRYING
    elif row.dirty_since is not None:
        view = RegistryView.QUEUED
    else:
        view = RegistryView.NEVER
    return RegistryStatus(view, row.last_success_at, row.dirty_since, row.next_attempt_at, row.refused)
