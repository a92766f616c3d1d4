"""Collect the schools whose entitlements changed and queue one push per school.

``school_changed(school)`` runs inside the transaction that changed who may use what (through
the roster's and the licence app's signals, see ``integrations.apps``). It writes a
``RegistryChange`` row in that transaction, so the fact "the registry must hear about this
school" commits with the change itself or not at all. After commit the rows are collected: the
school is marked as waiting and, unless a push is already queued for it, one is queued a few
seconds ahead (``LICENCE_REGISTRY_DEBOUNCE_SECONDS``): many clicks, one push.

Nothing after the commit can fail the click: a broker that cannot be reached, a push that fails
(the demo runs tasks eagerly, inside the request) or even a database hiccup while collecting is
logged, and the school stays waiting. ``sweep_registry`` (Celery beat, every 10 minutes) collects
rows left behind and queues a push for every school that waits; in eager mode (the demo, without
beat) every collection does that sweep at once, so the next change catches up on earlier ones.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import RegistryChange, RegistrySchool

logger = logging.getLogger(__name__)

# The push task, by name: ``integrations.tasks`` imports this module.
PUSH_TASK = "integrations.tasks.push_registry_school"


def school_changed(school) -> None:
    """``school``: a School or its primary key."""
    schools_changed([getattr(school, "pk", school)])


def schools_changed(school_ids: Iterable[int]) -> None:
    """Write down, in the caller's transaction, that these schools' sets must be pushed."""
    if not settings.LICENCE_REGISTRY_URL:
        return
    ids = sorted(set(school_ids))
    if not ids:
        return
    RegistryChange.objects.bulk_create([RegistryChange(school_id=pk) for pk in ids], batch_size=1000)

    def after_commit() -> None:
        collect_and_queue(ids)

    transaction.on_commit(after_commit, robust=True)


def collect_and_queue(school_ids: list[int] | None = None) -> list[int]:
    """Turn written-down changes into waiting schools and queue their pushes; never raises.

    ``None``: every school with a change written down (the sweep). Returns the schools queued.
    """
    try:
        first = _collect(school_ids)
    except Exception:
        # Still written down in RegistryChange: the sweep collects it.
        logger.exception("Licence registry: changes of schools %s not collected; the sweep will", school_ids)
        return []
    for school_id in first:
        _queue(school_id)
    if current_app.conf.task_always_eager and school_ids is not None:
        # No beat in eager mode (the demo): catch up on what an earlier failure left waiting.
        sweep(stale_after=dt.timedelta(0), skip=first)
    return first


def _collect(school_ids: list[int] | None) -> list[int]:
    with transaction.atomic():
        changes = RegistryChange.objects.all()
        if school_ids is not None:
            changes = changes.filter(school_id__in=school_ids)
        ids = sorted(set(changes.values_list("school_id", flat=True)))
        if not ids:
            return []
        RegistrySchool.objects.bulk_create(
            [RegistrySchool(school_id=pk) for pk in ids], ignore_conflicts=True, batch_size=1000
        )
        # Rows locked in one order, so two collections of overlapping schools never deadlock.
        list(RegistrySchool.objects.filter(school_id__in=ids).order_by("school_id").select_for_update())
        RegistryChange.objects.filter(school_id__in=ids).delete()
        RegistrySchool.objects.filter(school_id__in=ids).update(
            generation=F("generation") + 1, dirty_since=Coalesce(F("dirty_since"), timezone.now())
        )
        # Only the caller that flips ``queued`` queues the task.
        first = list(
            RegistrySchool.objects.filter(school_id__in=ids, queued=False)
            .order_by("school_id")
            .values_list("school_id", flat=True)
        )
        RegistrySchool.objects.filter(school_id__in=first).update(queued=True)
    return first


def _queue(school_id: int) -> None:
    try:
        current_app.tasks[PUSH_TASK].apply_async((school_id,), countdown=settings.LICENCE_REGISTRY_DEBOUNCE_SECONDS)
    except Exception:
        # The broker could not be reached (or, in eager mode, the push itself failed): the school
        # stays waiting, and is no longer marked queued, so the sweep or the next change queues it.
        logger.warning("Licence registry push of school %s not queued; it waits", school_id, exc_info=True)
        try:
            RegistrySchool.objects.filter(school_id=school_id).update(queued=False)
        except Exception:
            logger.exception("Licence registry: school %s left marked as queued", school_id)


def sweep(*, stale_after: dt.timedelta = dt.timedelta(minutes=10), skip: Iterable[int] = ()) -> list[int]:
    """Collect changes left behind and queue a push for schools that wait without one planned."""
    skip = [*skip, *collect_and_queue(None)]
    now = timezone.now()
    ids = list(
        RegistrySchool.objects.filter(dirty_since__lte=now - stale_after, certificate_refused=False)
        .exclude(next_attempt_at__gt=now)
        .exclude(school_id__in=skip)
        .order_by("school_id")
        .values_list("school_id", flat=True)
    )
    for school_id in ids:
        _queue(school_id)
    return ids


def on_roster_changed(sender, school_ids: list[int], **kwargs) -> None:
    """Receiver of ``roster.signals.roster_changed``: the import moved, added or removed people."""
    schools_changed(school_ids)


def on_licences_changed(sender, school_id: int, **kwargs) -> None:
    """Receiver of ``licenses.signals.licences_changed``: links or seats of the school changed."""
    school_changed(school_id)


def on_licence_saved(sender, instance, **kwargs) -> None:
    school_changed(instance.school_id)
