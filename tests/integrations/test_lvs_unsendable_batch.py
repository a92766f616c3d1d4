"""A batch that cannot become a UWLR message is set aside; the links before and after it go on.

The poisoned link sits between two good ones (by id), on the serial and on the threaded export
path. Its pupil's key holds a control character that XML 1.0 cannot carry, as rows stored
before the intake checks can.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from integrations import export
from integrations.models import BatchStatus, DeliveryBatch
from roster.models import Pupil
from tests.factories import login_as, make_pupil
from tests.lvs_helpers import make_result_link, make_supplier, result_ids, store


def _three_links(world, url):

    supplier = make_supplier("Momento", url)
    links, pupils = [], []
    for name in ("a", "b", "c"):
        school = getattr(world, f"school_{name}")
        pupil = make_pupil(school, school.groups.first(), f"Kind{name}", "Test")
        pupils.append(pupil)
        links.append(make_result_link(school, supplier))
    Pupil.objects.filter(pk=pupils[1].pk).update(las_key="L\x01b")
    for index, pupil in enumerate(pupils):
        store([pupil], 3, prefix=f"r{index}")
    return links


def _assert_only_the_poisoned_batch_set_aside(links, lvs, world):
    good_a, poisoned, good_c = links
    assert result_ids(lvs.stored) == sorted([f"r0-{i}" for i in range(3)] + [f"r2-{i}" for i in range(3)])
    assert DeliveryBatch.objects.get(link=good_a).status == BatchStatus.CONFIRMED
    assert DeliveryBatch.objects.get(link=good_c).status == BatchStatus.CONFIRMED
    batch = DeliveryBatch.objects.get(link=poisoned)
    assert batch.status == BatchStatus.UNSENDABLE and batch.attempts == 0
    assert batch.last_error.startswith("kan niet worden verstuurd: ")
    # The coordinator of the poisoned school sees it on "Resultaatkoppelingen".
    client = login_as(Client(), world.coordinator_ab)
    page = client.get(reverse("resultlinks", kwargs={"school_id": world.school_b.pk})).content.decode()
    assert "Een levering kan niet worden verstuurd" in page
    # A next run does not try it again, and does not stop on it.
    assert export.export_all(catch_up=True)


@pytest.mark.django_db
def test_serial_export_sets_the_poisoned_batch_aside_and_serves_the_next_link(world, reference_lvs):
    lvs, url = reference_lvs
    links = _three_links(world, url)
    runs = export.export_all(threads=1)
    assert [r.stopped_by for r in runs] == ["", "", ""]
    _assert_only_the_poisoned_batch_set_aside(links, lvs, world)


@pytest.mark.django_db(transaction=True)
def test_threaded_export_sets_the_poisoned_batch_aside_and_serves_the_others(world, reference_lvs, settings):
    settings.UWLR_EXPORT_THREADS = 3
    lvs, url = reference_lvs
    links = _three_links(world, url)
    runs = export.export_all(threads=3)
    assert len(runs) == 3
    _assert_only_the_poisoned_batch_set_aside(links, lvs, world)
