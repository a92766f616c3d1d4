"""The two-night story of issue #25 on the demo world, through the real import.

Night 2: De Regenboog's administration sends a partial export (every second pupil and three
groups missing) while Het Kompas gets a new pupil. De Regenboog's night is held: its pupils,
seats and links stay; nothing is announced for it; Het Kompas is imported in the same run.
Night 3: the complete document is back: applied, nothing changes, the hold ends.
Then one real leaver: not held, their seat released; back the next night, the seat is theirs again.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from audit.models import AuditAction, AuditEvent
from demo.world import SCHOOL_A, SCHOOL_B, demo_schools
from licenses.models import DepartedSeat, GroupLink, Seat
from roster.feed import FolderSource, write_folder
from roster.holds import open_holds
from roster.importer import sync_roster
from roster.models import HeldNight, HoldDecision, Pupil, School, SchoolImportResult, SchoolResultStatus
from roster.signals import pupils_departed, roster_changed
from tests.roster_feed import later, partial_export, pupil

pytestmark = pytest.mark.django_db


def seats_and_links(school: School) -> tuple[set, set]:
    return (
        set(Seat.objects.filter(school=school).values_list("licence_id", "pupil_id")),
        set(GroupLink.objects.filter(school=school).values_list("licence_id", "group_id")),
    )


@pytest.fixture
def announced():
    """The schools the roster announced to the apps above (the licence registry push listens)."""
    heard = {"changed": set(), "departed": set()}

    def changed(sender, *, school_ids, **kwargs):
        heard["changed"].update(school_ids)

    def departed(sender, *, school, **kwargs):
        heard["departed"].add(school.pk)

    roster_changed.connect(changed, dispatch_uid="test.two_nights.changed")
    pupils_departed.connect(departed, dispatch_uid="test.two_nights.departed")
    yield heard
    roster_changed.disconnect(dispatch_uid="test.two_nights.changed")
    pupils_departed.disconnect(dispatch_uid="test.two_nights.departed")


def night(root, docs) -> dict[int, str]:
    write_folder(root, docs)
    run, _summary = sync_roster(FolderSource(root), trigger="test")
    return dict(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status"))


def test_a_glitch_night_is_held_and_a_real_leaver_is_not(tmp_path, announced):
    call_command("demo_world", feed_dir=str(tmp_path / "demo"))
    regenboog = School.objects.get(basispoort_id=SCHOOL_A)
    kompas = School.objects.get(basispoort_id=SCHOOL_B)
    a, b, c = demo_schools()
    before = seats_and_links(regenboog)
    assert before[0] and before[1], "the demo gives De Regenboog seats and links"
    active_before = set(Pupil.objects.filter(school=regenboog, active=True).values_list("pk", flat=True))
    feed = tmp_path / "feed"

    # Night 2: the partial export, and a new pupil at Het Kompas.
    b2 = later(b)
    b2.roster["leerlingen"].append(pupil(88_000_001, b2.roster["groepen"][0]["lasKey"], first="Noor"))
    announced["changed"].clear()
    statuses = night(feed, [partial_export(a), b2, c])
    assert statuses[SCHOOL_A] == SchoolResultStatus.HELD
    assert statuses[SCHOOL_B] == SchoolResultStatus.IMPORTED
    assert seats_and_links(regenboog) == before
    assert set(Pupil.objects.filter(school=regenboog, active=True).values_list("pk", flat=True)) == active_before
    assert regenboog.pk not in announced["changed"] | announced["departed"]
    assert kompas.pk in announced["changed"]
    assert Pupil.objects.filter(school=kompas, basispoort_id=88_000_001, active=True).exists()
    hold = open_holds([regenboog.pk, kompas.pk]).get()
    assert hold.school == regenboog
    assert len(hold.summary["leaving"]) >= 100
    assert len(hold.summary["groups_removed"]) == 3
    assert any(row["links"] for row in hold.summary["groups_removed"])
    assert any(row["seats"] for row in hold.summary["leaving"])

    # Night 3: the complete document is back; nothing changes, the hold ends.
    statuses = night(feed, [later(a), b2, c])
    assert statuses[SCHOOL_A] == SchoolResultStatus.IMPORTED
    assert seats_and_links(regenboog) == before
    assert set(Pupil.objects.filter(school=regenboog, active=True).values_list("pk", flat=True)) == active_before
    hold.refresh_from_db()
    assert hold.decision == HoldDecision.RESOLVED
    assert hold.document == {}
    assert not open_holds([regenboog.pk]).exists()

    # Night 4: one real leaver, holding a seat: not held, the seat is released.
    seat = Seat.objects.filter(school=regenboog).select_related("pupil").order_by("pk").first()
    leaver = seat.pupil
    a4 = later(a)
    a4.roster["leerlingen"] = [p for p in a4.roster["leerlingen"] if p["id"] != leaver.basispoort_id]
    assert night(feed, [a4, b2, c])[SCHOOL_A] == SchoolResultStatus.IMPORTED
    leaver.refresh_from_db()
    assert not leaver.active
    assert not Seat.objects.filter(pk=seat.pk).exists()
    assert DepartedSeat.objects.filter(pupil=leaver, licence_id=seat.licence_id).exists()

    # Night 5: the pupil is back, and so is the seat, audited "terug in de administratie".
    assert night(feed, [later(a), b2, c])[SCHOOL_A] == SchoolResultStatus.IMPORTED
    leaver.refresh_from_db()
    assert leaver.active
    assert Seat.objects.filter(pupil=leaver, licence_id=seat.licence_id).exists()
    assert seats_and_links(regenboog) == before
    assert not DepartedSeat.objects.filter(pupil=leaver).exists()
    restored = AuditEvent.objects.get(action=AuditAction.RESTORE_SEAT, school=regenboog)
    assert restored.after["reason"] == "terug in de administratie"
    assert restored.actor_label == "Basispoort-import"
    assert HeldNight.objects.filter(school=regenboog).count() == 1
