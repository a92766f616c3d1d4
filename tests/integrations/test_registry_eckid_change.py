"""A set is compared without opening ECK iDs, yet a pupil's new ECK iD is still a change: the night
sends the set again with the new one, and a night without changes opens none."""

from __future__ import annotations

import pytest

from integrations.registry import entitlements, sync
from licenses import actions
from tests.factories import give_eckid, make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db


@pytest.fixture
def noor(registry_settings):
    school = make_school("De Regenboog", "20RB", dependancecode="00")
    group = make_group(school, "Groep 6", "6")
    pupil = make_pupil(school, group, "Noor", "Smit")
    give_eckid(pupil, "https://ketenid.nl/201703/noor-1")
    licence = make_licence(school, make_product())
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    assert sync.reconcile([school.pk]).sends == 1
    return pupil


def eckid_in_registry(registry, pupil) -> str:
    entry = registry.entries[(pupil.school.basispoort_id, "reken-digi")]
    return next(u["eckid"] for u in entry.body["gebruikers"] if u["id"] == pupil.basispoort_id)


def test_a_new_eckid_is_sent_the_next_night(noor, registry_settings):
    assert eckid_in_registry(registry_settings, noor) == "https://ketenid.nl/201703/noor-1"
    give_eckid(noor, "https://ketenid.nl/201703/noor-2")  # the import's change, its push lost

    report = sync.reconcile([noor.school_id])

    assert report.sends == 1
    assert eckid_in_registry(registry_settings, noor) == "https://ketenid.nl/201703/noor-2"


def test_a_night_without_changes_opens_no_eckid(noor, monkeypatch):
    opened = []
    monkeypatch.setattr(entitlements, "reveal_eckid", lambda sealed: opened.append(sealed) or "")

    assert sync.reconcile([noor.school_id]).sends == 0
    assert opened == []
