import datetime as dt
import logging
import random

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations import actions, export
from integrations.models import LinkStatus, RegistrySchool, ResultLink
from integrations.registry import changes as registry_changes
from integrations.registry import sync as registry_sync
from integrations.registry.client import Transient
from roster.lock import LOCK_KEY, redis_client

logger = logging.getLogger(__name__)


@shared_task
def export_results() -> int:
    # Key checks still waiting (their task was never queued: the broker was down at the click).
    for link_id in ResultLink.objects.current().filter(status=LinkStatus.CHECKING).values_list("pk", flat=True):
        check_key.delay(link_id)
    return len(export.export_all())


@shared_task
def export_results_catch_up() -> int:
    return len(export.export_all(catch_up=True))


@shared_task
def export_link(link_id: int) -> int:
    return export.deliver_link(link_id).results


@shared_task(name="integrations.tasks.check_key")
def check_key(link_id: int) -> str | None:
    """Check a new or changed key with the LVS (queued after the change committed); an accepted
    key starts the first delivery at once instead of at the next 15-minute run."""
    link = ResultLink.objects.current().filter(pk=link_id).first()
    if link is None:
        return None  # withdrawn meanwhile
    first_check = link.checked_at is None
    status = export.check_key(link)
    if status == LinkStatus.ACTIVE:
        export_link.delay(link.pk)
    elif status == LinkStatus.KEY_REFUSED and first_check:
        actions.drop_refused_link(link)  # kept only when the coordinator chose so
    return status


# --- Licence registry (Basispoort "Lesmateriaal") -------------------------------------------


def registry_backoff(retries: int) -> int:
    """Seconds before try ``retries + 1``: doubling from the base, capped, with some jitter."""
    base = settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS * 2**retries
    return int(min(base, 900) * (0.8 + 0.4 * random.random()))  # noqa: S311 - jitter, not security


@shared_task(bind=True, name="integrations.tasks.push_registry_school")
def push_registry_school(self, school_id: int) -> None:
    try:
        registry_sync.push_school(school_id)
    except Transient as exc:
        if self.request.is_eager:
            # Run inside the request (the demo): no waiting here; the next change or the sweep catches up.
            logger.warning("Licence registry push of school %s failed, still waiting: %s", school_id, exc)
            return
        if self.request.retries >= settings.LICENCE_REGISTRY_RETRIES:
            logger.warning("Licence registry push of school %s given up for now: %s", school_id, exc)
            return  # the nightly reconciliation repairs it
        delay = registry_backoff(self.request.retries)
        RegistrySchool.objects.filter(school_id=school_id).update(
            next_attempt_at=timezone.now() + dt.timedelta(seconds=delay)
        )
        raise self.retry(exc=exc, countdown=delay, max_retries=settings.LICENCE_REGISTRY_RETRIES) from exc


@shared_task(bind=True, name="integrations.tasks.reconcile_registry")
def reconcile_registry(self) -> int:
    """Beat's entry: one task per part of the schools, so every worker process shares the night."""
    client = redis_client()
    if client is not None and client.exists(LOCK_KEY):
        # The roster import still runs: compare with the night's roster once it is in.
        raise self.retry(countdown=600, max_retries=18)
    ids = registry_sync.schools_in_scope()
    size = settings.LICENCE_REGISTRY_PART_SIZE
    for start in range(0, len(ids), size):
        reconcile_registry_part.delay(ids[start : start + size])
    return len(ids)


@shared_task(name="integrations.tasks.reconcile_registry_part")
def reconcile_registry_part(school_ids: list[int]) -> dict:
    report = registry_sync.reconcile(school_ids)
    return {"schools": report.schools, "sends": report.sends, "failed": len(report.failed_schools)}


@shared_task(name="integrations.tasks.sweep_registry")
def sweep_registry() -> int:
    """Collect changes left behind and queue a push for schools waiting too long without one (a lost
    task, a broker that could not be reached when the change was made)."""
    return len(registry_changes.sweep())
