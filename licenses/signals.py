"""What the licence app tells the apps above it (the licence registry push in ``integrations``),
without importing them: who may use what changed for a school."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that changed a school's links or seats (``school_id``); receivers
# that talk to another system do so after commit.
licences_changed = Signal()


def announce_licences_changed(school) -> None:
    licences_changed.send(sender=type(school), school_id=school.pk)
