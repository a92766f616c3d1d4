"""Many coordinators clicking at the same moment never get more seats than were bought."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from licenses import actions
from licenses.models import Seat
from tests.factories import make_pupil

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_four_concurrent_assignments_on_five_free_seats(world, licences):
    licence = licences.pupil_licence
    pupils = [make_pupil(world.school_a, licences.group_4b, f"Racer{i}", "Bos") for i in range(24)]
    barrier = threading.Barrier(len(pupils))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(pupil_id: int) -> None:
        try:
            barrier.wait()
            actions.assign_seat(school=world.school_a, licence_id=licence.pk, pupil_id=pupil_id, actor=None)
            result = "ok"
        except actions.LinkRefused as refused:
            result = str(refused)
        finally:
            connection.close()  # each thread had its own PostgreSQL connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p.pk,)) for p in pupils]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 24
    assert outcomes.count("ok") == 5
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == 19 and all("geen licenties meer beschikbaar" in o for o in refused)
    assert Seat.objects.filter(licence=licence).count() == 5
    assert AuditEvent.objects.count() == 5
