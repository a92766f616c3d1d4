"""A coordinator gives a seat to a pupil while the nightly import is removing that pupil.

The interleaving is forced, not timed: the import's transaction has deactivated the pupil (and
freed the pupil's seats) but not committed when the coordinator clicks. Without a lock on the
pupil row the seat would be written for a pupil who is gone a moment later, and never freed.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from licenses import actions
from licenses.models import LicenceKind, Seat
from roster.importer import apply_school_document
from roster.models import Pupil
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOL = 610_001


def _doc(pupils):
    return school(SCHOOL, groups=[group("G4")], staff=[staff(SCHOOL + 1, ["Leerkracht"], ["G4"])], pupils=pupils)


def _backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        # Statistics views are a snapshot per transaction; this runs inside the import's one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_seat_given_while_the_import_removes_the_pupil_is_refused_and_no_seat_is_left_behind(tmp_path):
    leaving, staying = pupil(SCHOOL + 10, "G4", "Daan"), pupil(SCHOOL + 11, "G4", "Lotte")
    import_feed(tmp_path, [_doc([leaving, staying])])
    the_school = Pupil.objects.get(basispoort_id=SCHOOL + 10).school
    licence = make_licence(the_school, make_product("plus", "oefensoftware"), LicenceKind.PER_PUPIL, seats=5)
    leaver_pk = Pupil.objects.get(basispoort_id=SCHOOL + 10).pk
    outcome: list[str] = []

    def coordinator_clicks() -> None:
        try:
            actions.assign_seat(school=the_school, licence_id=licence.pk, pupil_id=leaver_pk, actor=None)
            outcome.append("seat given")
        except actions.LinkRefused as refused:
            outcome.append(str(refused))
        finally:
            connection.close()

    clicker = threading.Thread(target=coordinator_clicks)
    with transaction.atomic():
        result = apply_school_document(_doc([staying]))
        assert result.deactivated["pupil"] == 1
        clicker.start()
        # Until the coordinator's request either finished or queues behind the import's row lock.
        give_up = time.monotonic() + 60  # a safety net against a hang, not a timing assumption
        while clicker.is_alive() and not _backends_waiting_for_a_lock():
            assert time.monotonic() < give_up, "the coordinator's request neither finished nor waited"
            time.sleep(0.01)
    clicker.join(timeout=60)

    assert not Pupil.objects.get(pk=leaver_pk).active
    assert len(outcome) == 1 and "niet (meer) als actief" in outcome[0], outcome
    assert not Seat.objects.filter(pupil__active=False).exists()
    assert not Seat.objects.filter(licence=licence).exists()


def test_a_seat_given_just_before_the_import_commits_is_freed_with_the_pupil(tmp_path):
    """The other order: the seat is committed first; the import, seeing it, frees it with the pupil."""
    leaving = pupil(SCHOOL + 20, "G4", "Sem")
    import_feed(tmp_path, [_doc([leaving])])
    the_school = Pupil.objects.get(basispoort_id=SCHOOL + 20).school
    licence = make_licence(the_school, make_product("plus2", "oefensoftware"), LicenceKind.PER_PUPIL, seats=5)
    leaver_pk = Pupil.objects.get(basispoort_id=SCHOOL + 20).pk
    actions.assign_seat(school=the_school, licence_id=licence.pk, pupil_id=leaver_pk, actor=None)

    run, _summary = import_feed(tmp_path, [_doc([])])

    assert run.schools_failed == 0
    assert not Pupil.objects.get(pk=leaver_pk).active
    assert not Seat.objects.filter(pupil__active=False).exists()
