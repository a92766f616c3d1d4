from celery import shared_task

from integrations import export
from integrations.models import LinkStatus, ResultLink


@shared_task
def export_results() -> int:
    return len(export.export_all())


@shared_task
def export_results_catch_up() -> int:
    return len(export.export_all(catch_up=True))


@shared_task
def export_link(link_id: int) -> int:
    return export.deliver_link(link_id).results


@shared_task
def check_key(link_id: int) -> str | None:
    """Check a new or changed key with the LVS (queued after the change committed); an accepted
    key starts the first delivery at once instead of at the next 15-minute run."""
    link = ResultLink.objects.current().filter(pk=link_id).first()
    if link is None:
        return None  # withdrawn meanwhile
    status = export.check_key(link)
    if status == LinkStatus.ACTIVE:
        export_link.delay(link.pk)
    return status
