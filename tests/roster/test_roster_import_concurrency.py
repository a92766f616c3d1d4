"""A coordinator linking a seat while their school is imported: no deadlock, no lost link, no waiting."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from licenses.models import LicenceKind, Seat
from roster.importer import apply as importer
from roster.models import Pupil
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOL = 501_101
GROUPS = [group("G5"), group("G6", jaargroep="6")]
TEACHER = staff(701_101, ["Leerkracht"], ["G5", "G6"])


def first_night(tmp_path):
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=[TEACHER], pupils=[pupil(1, "G5"), pupil(2, "G5")])])
    emma = Pupil.objects.get(basispoort_id=1)
    return emma, make_licence(emma.school, make_product(), kind=LicenceKind.PER_PUPIL, seats=10)


def next_night():
    # Emma moves to group 6 (her row is updated), Daan leaves (his seats are released).
    return [school(SCHOOL, groups=GROUPS, staff=[TEACHER], pupils=[pupil(1, "G6")])]


class Coordinator(threading.Thread):
    """Links a seat in its own transaction and connection, as a request of the licence pages would."""

    def __init__(self, licence, pupil, *, linked: threading.Event, may_commit: threading.Event):
        super().__init__(daemon=True)
        self.licence, self.pupil, self.linked, self.may_commit = licence, pupil, linked, may_commit
        self.error: BaseException | None = None

    def run(self):
        try:
            with transaction.atomic():
                Seat.objects.create(licence=self.licence, pupil=self.pupil, school_id=self.pupil.school_id)
                self.linked.set()
                assert self.may_commit.wait(10), "the test never let the coordinator commit"
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()


def test_a_seat_linked_during_the_import_survives_and_nobody_waits(tmp_path, monkeypatch):
    emma, licence = first_night(tmp_path)
    linked, go = threading.Event(), threading.Event()
    coordinator = Coordinator(licence, emma, linked=linked, may_commit=go)
    real_apply_pupils = importer._apply_pupils

    def apply_pupils_with_a_coordinator_at_work(*args, **kwargs):
        real_apply_pupils(*args, **kwargs)
        # The import holds its locks on the school and Emma's row now; the coordinator links meanwhile.
        coordinator.start()
        assert linked.wait(5), "the coordinator was blocked by the import"
        go.set()
        coordinator.join(5)
        assert not coordinator.is_alive(), "the coordinator could not commit while the import ran"

    monkeypatch.setattr(importer, "_apply_pupils", apply_pupils_with_a_coordinator_at_work)
    run, _ = import_feed(tmp_path, next_night())

    assert coordinator.error is None
    assert run.schools_failed == 0
    assert Seat.objects.filter(licence=licence, pupil=emma).exists()
    assert Pupil.objects.get(pk=emma.pk).group.las_key == "G6"


def test_an_import_during_an_open_link_transaction_finishes_and_keeps_the_link(tmp_path):
    emma, licence = first_night(tmp_path)
    linked, go = threading.Event(), threading.Event()
    coordinator = Coordinator(licence, emma, linked=linked, may_commit=go)
    coordinator.start()
    assert linked.wait(5)

    outcome: dict = {}
    importing = threading.Thread(target=lambda: outcome.update(run=_import_and_close(tmp_path)), daemon=True)
    importing.start()
    importing.join(10)
    waited = importing.is_alive()
    go.set()
    coordinator.join(5)
    importing.join(10)

    assert not waited, "the import waited on the coordinator's open transaction"
    assert coordinator.error is None
    assert outcome["run"].schools_failed == 0
    assert Seat.objects.filter(licence=licence, pupil=emma).exists()
    assert not Pupil.objects.get(basispoort_id=2).active


def _import_and_close(tmp_path):
    try:
        return import_feed(tmp_path, next_night())[0]
    finally:
        connection.close()
