"""A chunk of schools is written with the same statements whatever its number of schools, and
stays all or nothing per school: one bad school in a chunk leaves no half-applied change and
does not stop the others."""

from __future__ import annotations

import itertools
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roster import login_codes
from roster.feed.validation import ErrorCode
from roster.importer import apply_school_documents
from roster.models import Pupil, PupilLoginCode, School, SchoolImportResult, SchoolResultStatus
from roster.signals import pupils_departed, roster_changed
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db


# Three schools of one chunk, named after their coordinators.
ANNA, BRAM, CAS = 610_001, 610_002, 610_003


def a_school(bp: int, *, night: int = 1, clash: bool = False, timestamp: str | None = None, size: int = 6):
    """Two groups, six pupils, two teachers; on night 2 one pupil moved, one was renamed, one is new."""
    pupils = [pupil(bp * 100 + n, "G4" if n < 3 else "G5", first=f"Kind{n}", last="Jansen") for n in range(size)]
    if night == 2:
        pupils[0]["groep"] = "G5"
        pupils[1]["persoonsgegevens"]["achternaam"] = "Jansen-Smit"
        pupils.append(pupil(bp * 100 + 99, "G4", first="Nieuw"))
    teachers = [staff(bp * 10 + 1, ["Leerkracht"], ["G4"]), staff(bp * 10 + 2, ["Leerkracht"], ["G5"])]
    if clash:
        teachers[1]["lasKey"] = teachers[0]["lasKey"]  # the database refuses two appointments with one lasKey
    groups = [group("G4", jaargroep="4"), group("G5")]
    return school(bp, groups=groups, pupils=pupils, staff=teachers, timestamp=timestamp)


def test_one_bad_school_in_a_chunk_leaves_no_half_applied_change_and_the_others_go_through(tmp_path, settings, caplog):
    settings.ROSTER_IMPORT_CHUNK_SIZE = 3
    import_feed(tmp_path / "1", [a_school(ANNA), a_school(BRAM), a_school(CAS)])
    codes_before = dict(PupilLoginCode.objects.values_list("pupil_id", "code_encrypted"))

    with caplog.at_level(logging.WARNING, logger="roster.importer"):
        run, _summary = import_feed(
            tmp_path / "2", [a_school(ANNA, night=2), a_school(BRAM, night=2, clash=True), a_school(CAS, night=2)]
        )

    assert "Chunk of 3 schools failed" in caplog.text
    status = dict(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status"))
    assert status == {
        ANNA: SchoolResultStatus.IMPORTED,
        BRAM: SchoolResultStatus.FAILED,
        CAS: SchoolResultStatus.IMPORTED,
    }
    assert SchoolImportResult.objects.get(run=run, basispoort_id=BRAM).error_code == ErrorCode.DATABASE
    for bp, applied in ((ANNA, True), (BRAM, False), (CAS, True)):
        pupils = Pupil.objects.filter(school__basispoort_id=bp)
        assert pupils.filter(last_name="Jansen-Smit").exists() is applied
        assert pupils.filter(first_name="Nieuw").exists() is applied
        moved = pupils.get(basispoort_id=bp * 100)
        assert (moved.group.las_key == "G5") is applied
    bram = Pupil.objects.filter(school__basispoort_id=BRAM)
    assert dict(PupilLoginCode.objects.filter(pupil__in=bram).values_list("pupil_id", "code_encrypted")) == {
        pk: token for pk, token in codes_before.items() if bram.filter(pk=pk).exists()
    }
    assert not Pupil.objects.filter(active=True, group__isnull=False, login_code__isnull=True).exists()


def test_a_new_school_that_fails_in_its_chunk_is_not_created_at_all(tmp_path, settings):
    settings.ROSTER_IMPORT_CHUNK_SIZE = 3
    _run, summary = import_feed(tmp_path, [a_school(611_001), a_school(611_002, clash=True), a_school(611_003)])
    assert summary.counts == {SchoolResultStatus.IMPORTED: 2, SchoolResultStatus.FAILED: 1}
    assert set(School.objects.values_list("basispoort_id", flat=True)) >= {611_001, 611_003}
    assert not School.objects.filter(basispoort_id=611_002).exists()
    assert not Pupil.objects.filter(basispoort_id__gte=61_100_200, basispoort_id__lt=61_100_300).exists()


def _queries(docs) -> int:
    """Every query of the chunk, the receivers of ``roster_changed`` included (the licence pages'
    stamps, ``licenses.stamps.bump_imported``: one statement for the chunk)."""
    with CaptureQueriesContext(connection) as queries:
        apply_school_documents(docs)
    return len(queries)


def test_a_chunk_takes_the_same_queries_for_two_schools_as_for_six(monkeypatch):
    """First import and a night with movers, renames and newcomers (leavers add a receiver's own
    queries per school with leavers, by design: see roster.signals). Schools of 30 pupils, so
    that both chunks take PostgreSQL's COPY path for new pupils and codes."""
    # Every code handed out in this test differs from the others: a mover whose code happened to
    # clash would cost one UPDATE more, and the two chunks must not differ by chance.
    fresh = itertools.count()
    monkeypatch.setattr(login_codes, "_draw", lambda method: login_codes._PICTURE_CODES[next(fresh)])
    few, many = [620_001, 620_002], [621_001 + n for n in range(6)]
    first = [_queries([a_school(bp, size=30) for bp in few]), _queries([a_school(bp, size=30) for bp in many])]
    second = [
        _queries([a_school(bp, night=2, size=30) for bp in few]),
        _queries([a_school(bp, night=2, size=30) for bp in many]),
    ]
    assert first[0] == first[1]
    assert second[0] == second[1]
    assert Pupil.objects.filter(school__basispoort_id__in=many, first_name="Nieuw").count() == 6


STAMP = "2026-09-01T02:00:00+02:00"


def test_signals_name_every_affected_school_of_a_chunk():
    changed, departed = [], []

    def on_changed(sender, school_ids, **kwargs):
        changed.append(school_ids)

    def on_departed(sender, school, pupil_ids, **kwargs):
        departed.append((school.basispoort_id, len(pupil_ids)))
        return 0

    roster_changed.connect(on_changed, dispatch_uid="test-chunks-changed")
    pupils_departed.connect(on_departed, dispatch_uid="test-chunks-departed")
    try:
        apply_school_documents([a_school(bp, timestamp=STAMP) for bp in (630_001, 630_002, 630_003)])
        leaving = a_school(630_002, timestamp=STAMP)
        leaving.roster["leerlingen"] = leaving.roster["leerlingen"][:4]
        changed.clear()
        results = apply_school_documents(
            [a_school(630_001, timestamp=STAMP), leaving, a_school(630_003, timestamp=STAMP)]
        )
    finally:
        roster_changed.disconnect(dispatch_uid="test-chunks-changed")
        pupils_departed.disconnect(dispatch_uid="test-chunks-departed")
    school_b = School.objects.get(basispoort_id=630_002)
    assert changed == [[school_b.pk]]  # one signal for the chunk, naming only the changed school
    assert departed == [(630_002, 2)]
    assert [r.deactivated["pupil"] for r in results] == [0, 2, 0]
