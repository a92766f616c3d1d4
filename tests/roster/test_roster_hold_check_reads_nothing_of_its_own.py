"""The held-night check compares a chunk with the rows the importer reads anyway: with the check
on, a chunk that nothing holds takes exactly the queries it takes with the check off."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from roster.feed import SchoolDocument
from roster.importer import apply_school_documents
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db

# Two schools of one chunk, named after their coordinators.
DIRK, EVA = 612_001, 612_002


def a_school(bp: int, *, night: int) -> SchoolDocument:
    """Two groups, eight pupils, two teachers; on night 2 one pupil moved and one is new."""
    pupils = [pupil(bp * 100 + n, "G4" if n < 4 else "G5", first=f"Kind{n}") for n in range(8)]
    if night == 2:
        pupils[0]["groep"] = "G5"
        pupils.append(pupil(bp * 100 + 99, "G4", first="Nieuw"))
    teachers = [staff(bp * 10 + 1, ["Leerkracht", "ICTCoordinator"], ["G4"]), staff(bp * 10 + 2, ["Leerkracht"])]
    return school(bp, groups=[group("G4"), group("G5")], pupils=pupils, staff=teachers)


def queries(docs, *, screen: bool) -> int:
    """The chunk's queries, its changes rolled back so that both counts start from the same night."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        results = apply_school_documents(docs, screen=screen)
        transaction.set_rollback(True)
    assert not any(result.held for result in results)
    return len(captured)


def test_the_check_adds_no_query_to_a_chunk(tmp_path, settings):
    import_feed(tmp_path, [a_school(DIRK, night=1), a_school(EVA, night=1)])
    docs = [a_school(DIRK, night=2), a_school(EVA, night=2)]

    settings.ROSTER_HOLD_ENABLED = True
    with_check = queries(docs, screen=True)
    settings.ROSTER_HOLD_ENABLED = False
    without = queries(docs, screen=True)

    assert with_check == without
