"""Collect the schools whose entitlements changed, after commit, and queue one push per school.

``school_changed(school)`` runs inside the transaction that changed who may use what (through
the roster's and the licence app's signals, see ``integrations.apps``). Nothing
happens unless that transaction commits; then the school is marked as waiting and, unless a
push is already queued for it, one is queued a few seconds ahead
(``LICENCE_REGISTRY_DEBOUNCE_SECONDS``): many clicks, one push. Never inside a request's work:
a registry that is slow or down never slows or fails a coordinator's click.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import signature
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import RegistrySchool

PUSH_TASK = "integrations.tasks.push_registry_school"

logger = logging.getLogger(__name__)


def school_changed(school) -> None:
    """``school``: a School or its primary key."""
    if not settings.LICENCE_REGISTRY_URL:
        return
    transaction.on_commit(partial(_collected, getattr(school, "pk", school)), robust=True)


def _collected(school_id: int) -> None:
    with transaction.atomic():
        RegistrySchool.objects.bulk_create([RegistrySchool(school_id=school_id)], ignore_conflicts=True)
        # One UPDATE marks the change; only the caller that flips ``queued`` queues the task.
        RegistrySchool.objects.filter(school_id=school_id).update(
            generation=F("generation") + 1, dirty_since=Coalesce(F("dirty_since"), timezone.now())
        )
        first = RegistrySchool.objects.filter(school_id=school_id, queued=False).update(queued=True)
    if first:
        # By name: the task module imports the registry push, which imports this module.
        signature(PUSH_TASK, args=(school_id,)).apply_async(countdown=settings.LICENCE_REGISTRY_DEBOUNCE_SECONDS)


def on_roster_changed(sender, school_ids: list[int], **kwargs) -> None:
    """Receiver of ``roster.signals.roster_changed``: the import moved, added or removed people."""
    for school_id in school_ids:
        school_changed(school_id)


def on_licences_changed(sender, school_id: int, **kwargs) -> None:
    """Receiver of ``licenses.signals.licences_changed``: links or seats of the school changed."""
    school_changed(school_id)


def on_licence_saved(sender, instance, **kwargs) -> None:
    school_changed(instance.school_id)
