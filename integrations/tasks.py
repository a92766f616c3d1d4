from celery import shared_task

from integrations import export


@shared_task
def export_results() -> int:
    return len(export.export_all())


@shared_task
def export_results_catch_up() -> int:
    return len(export.export_all(catch_up=True))


@shared_task
def export_link(link_id: int) -> int:
    return export.deliver_link(link_id).results
