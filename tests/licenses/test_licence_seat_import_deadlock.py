"""A coordinator gives a seat while the nightly import, in the same school, renames that pupil and
frees the seat of a pupil who left, or gives a returning pupil the seat back: both go through,
neither is chosen as a deadlock victim.

Found by bench/load_during_night.py: the click locked the licence, then waited for the pupil row
the import had changed; the import, freeing a leaver's seat of that licence, wrote the seat it
remembers (a row referring to the licence, whose foreign key check waits for the click's lock):
PostgreSQL broke the cycle by failing one of them (a 500 for the coordinator, or a failed chunk).
Giving a returning pupil the seat back locks the licence itself, so the click must take the pupil
before the licence, as the import does.

The interleaving is forced, not timed: the import's transaction has changed the pupil and holds
it when the coordinator clicks; only once the click waits for a lock does the import go on.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from licenses import actions
from licenses.models import DepartedSeat, LicenceKind, Seat
from roster.importer import apply_school_document
from roster.models import Pupil
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOL = 620_001


def _doc(pupils):
    return school(SCHOOL, groups=[group("G4")], staff=[staff(SCHOOL + 1, ["Leerkracht"], ["G4"])], pupils=pupils)


def _backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics views are a snapshot per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _click_while_the_import_holds(the_school, licence, renamed_pk: int, rest_of_the_import) -> list[str]:
    """The coordinator gives ``renamed_pk`` a seat after the import changed that pupil; once the
    click waits for a lock, ``rest_of_the_import`` runs in the import's same transaction."""
    outcome: list[str] = []

    def coordinator_clicks() -> None:
        try:
            actions.assign_seat(school=the_school, licence_id=licence.pk, pupil_id=renamed_pk, actor=None)
            outcome.append("seat given")
        except Exception as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    clicker = threading.Thread(target=coordinator_clicks)
    with transaction.atomic():
        # The import's first statements of the night: the renamed pupil's row is changed (and held).
        Pupil.objects.filter(pk=renamed_pk).update(last_name="Visser-Smit")
        clicker.start()
        give_up = time.monotonic() + 60  # a safety net against a hang, not a timing assumption
        while clicker.is_alive() and not _backends_waiting_for_a_lock():
            assert time.monotonic() < give_up, "the coordinator's request neither finished nor waited"
            time.sleep(0.01)
        rest_of_the_import()
    clicker.join(timeout=60)
    return outcome


def test_a_seat_given_while_the_import_renames_the_pupil_and_frees_a_leavers_seat(tmp_path):
    leaving = pupil(SCHOOL + 10, "G4", "Daan")
    renamed = pupil(SCHOOL + 11, "G4", "Lotte")
    import_feed(tmp_path, [_doc([leaving, renamed])])
    the_school = Pupil.objects.get(basispoort_id=SCHOOL + 10).school
    licence = make_licence(the_school, make_product("plus", "oefensoftware"), LicenceKind.PER_PUPIL, seats=5)
    leaver_pk = Pupil.objects.get(basispoort_id=SCHOOL + 10).pk
    renamed_pk = Pupil.objects.get(basispoort_id=SCHOOL + 11).pk
    actions.assign_seat(school=the_school, licence_id=licence.pk, pupil_id=leaver_pk, actor=None)
    renamed["persoonsgegevens"]["achternaam"] = "Visser-Smit"

    def the_leaver_goes() -> None:
        result = apply_school_document(_doc([renamed]))
        assert result.deactivated["pupil"] == 1 and result.deactivated["seat"] == 1

    outcome = _click_while_the_import_holds(the_school, licence, renamed_pk, the_leaver_goes)

    assert outcome == ["seat given"]
    assert list(Seat.objects.filter(licence=licence).values_list("pupil_id", flat=True)) == [renamed_pk]
    assert DepartedSeat.objects.filter(licence=licence, pupil_id=leaver_pk).exists()


def test_a_seat_given_while_the_import_renames_the_pupil_and_gives_a_returning_pupil_the_seat_back(tmp_path):
    """The import locks the licence itself to give a returning pupil the seat back: the click must
    not hold it while it waits for the renamed pupil."""
    back = pupil(SCHOOL + 20, "G4", "Sem")
    renamed = pupil(SCHOOL + 21, "G4", "Lotte")
    import_feed(tmp_path, [_doc([back, renamed])])
    the_school = Pupil.objects.get(basispoort_id=SCHOOL + 20).school
    licence = make_licence(the_school, make_product("plus", "oefensoftware"), LicenceKind.PER_PUPIL, seats=5)
    back_pk = Pupil.objects.get(basispoort_id=SCHOOL + 20).pk
    renamed_pk = Pupil.objects.get(basispoort_id=SCHOOL + 21).pk
    actions.assign_seat(school=the_school, licence_id=licence.pk, pupil_id=back_pk, actor=None)
    apply_school_document(_doc([renamed]))  # a night away: the seat is freed and remembered
    assert not Seat.objects.filter(licence=licence).exists()
    renamed["persoonsgegevens"]["achternaam"] = "Visser-Smit"

    def the_pupil_comes_back() -> None:
        result = apply_school_document(_doc([back, renamed]))
        assert result.created["seat"] == 1

    outcome = _click_while_the_import_holds(the_school, licence, renamed_pk, the_pupil_comes_back)

    assert outcome == ["seat given"]
    assert sorted(Seat.objects.filter(licence=licence).values_list("pupil_id", flat=True)) == sorted(
        [back_pk, renamed_pk]
    )
