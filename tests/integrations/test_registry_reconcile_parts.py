"""The nightly reconciliation is queued in parts, so a worker's pool processes share the night;
together the parts reconcile every school in scope exactly once."""

from __future__ import annotations

import pytest

from integrations import tasks
from integrations.registry import sync
from licenses import actions
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db


def school_with_a_linked_group(n: int, product):
    school = make_school(f"De Regenboog {n}", f"{30 + n}RB", dependancecode="00")
    group = make_group(school, "Groep 6", "6")
    make_pupil(school, group, f"Noor{n}", "Smit")
    licence = make_licence(school, product)
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    return school


def test_beats_task_queues_one_part_per_part_size_and_the_parts_reconcile_every_school(
    registry_settings, settings, monkeypatch
):
    settings.LICENCE_REGISTRY_PART_SIZE = 2
    product = make_product()
    schools = sorted(school_with_a_linked_group(n, product).pk for n in range(5))
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.reconcile_registry_part, "delay", queued.append)

    assert tasks.reconcile_registry() == 5

    assert queued == [schools[0:2], schools[2:4], schools[4:5]]
    assert registry_settings.sets() == {}  # nothing is sent before a part runs
    reports = [tasks.reconcile_registry_part(part) for part in queued]
    assert reports == [
        {"schools": 2, "sends": 2, "failed": 0},
        {"schools": 2, "sends": 2, "failed": 0},
        {"schools": 1, "sends": 1, "failed": 0},
    ]
    assert len(registry_settings.sets()) == 5
    assert sync.reconcile().sends == 0  # together they left nothing to send
