"""Beat's periodic work for the portal pages (thin: the work is in the modules named)."""

from __future__ import annotations

import logging

from celery import shared_task

from portal import cards

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.warm_school_cards")
def warm_school_cards() -> None:
    """Build the "Mijn scholen" cards after the night's work (``portal.cards.warm``)."""
    schools = cards.warm()
    logger.info("Mijn scholen cards warmed: schools=%s", schools)
