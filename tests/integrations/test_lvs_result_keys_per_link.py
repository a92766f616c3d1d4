"""``resultaat/@key`` names one result for one LVS: two services that use the same result id
(the pupil application and the result monitor both number from r-0) do not collide there, and
a retried batch carries the very same keys, so the LVS can still recognise a repeat."""

from __future__ import annotations

import pytest

from demo.reference_lvs import OK, SLOW, ReferenceLvs, running
from integrations import export
from integrations.actions import store_results
from integrations.models import BatchStatus, DeliveryBatch, LearningResult
from tests.factories import make_pupil
from tests.lvs_helpers import LVS_KEY, make_result_link, make_service_token, make_supplier, results_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pupils(world):
    group = world.school_a.groups.first()
    return [make_pupil(world.school_a, group, f"Kind{i}", "Jansen") for i in range(3)]


def both_services_send_r0_to_r4(world, pupils) -> None:
    leerlingapp, _ = make_service_token("leerlingapp", schools=[world.school_a])
    monitor, _ = make_service_token("resultatenmonitor", schools=[world.school_a])
    store_results(leerlingapp, results_for(pupils, 5))
    store_results(monitor, results_for(pupils, 5))
    assert LearningResult.objects.filter(external_id="r-0").count() == 2


def test_the_same_id_from_two_services_arrives_as_two_results(world, pupils):
    lvs = ReferenceLvs({LVS_KEY})
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        both_services_send_r0_to_r4(world, pupils)
        export.deliver_link(link.pk, sleep=lambda s: None)

    assert list(DeliveryBatch.objects.filter(link=link).values_list("status", flat=True)) == [BatchStatus.CONFIRMED]
    assert len(lvs.stored) == 10 and lvs.repeated_keys == 0
    # Each key is one of our results, and tells the LVS which of the two r-0s it is.
    scores = {(r.service.name, r.external_id): r.score for r in LearningResult.objects.select_related("service")}
    assert sorted(int(stored.score) for stored in lvs.stored.values()) == sorted(scores.values())


def test_a_retried_batch_carries_the_same_keys(world, pupils, settings):
    settings.UWLR_TRIES_PER_BATCH = 3
    settings.UWLR_READ_TIMEOUT = 0.5
    # The LVS stores the message but answers too late, twice; the third answer arrives.
    lvs = ReferenceLvs({LVS_KEY}, script=[SLOW, SLOW, OK], slow_seconds=1.0)
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        both_services_send_r0_to_r4(world, pupils)
        export.deliver_link(link.pk, sleep=lambda s: None)

    assert len(lvs.messages) == 3 and lvs.messages[0] == lvs.messages[1] == lvs.messages[2]
    assert len(set(lvs.messages[0])) == 10
    assert len(lvs.stored) == 10 and lvs.repeated_keys == 20


def test_keys_are_unique_among_every_result_of_a_link(world, pupils):
    # Read from the message we would send: no key twice, whatever the services called them.
    link = make_result_link(world.school_a, make_supplier("Momento"))
    both_services_send_r0_to_r4(world, pupils)
    batch = export.next_batch(link)
    keys = [resultaat.key for resultaat in export.resultaten_of(batch)]
    assert len(keys) == 10 and len(set(keys)) == 10
    again = [resultaat.key for resultaat in export.resultaten_of(DeliveryBatch.objects.get(pk=batch.pk))]
    assert again == keys
