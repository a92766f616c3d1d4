"""Exactly once, deterministically: a batch whose every try fails is neither lost nor split; the
next run sends that very batch again, and a later batch never carries its results."""

from __future__ import annotations

import pytest

from demo.reference_lvs import OK, PLAIN_500, SLOW, ReferenceLvs, running
from integrations import export
from integrations.models import BatchStatus, DeliveryBatch
from tests.factories import make_pupil
from tests.lvs_helpers import LVS_KEY, make_result_link, make_supplier, result_ids, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def pupils(world):
    group = world.school_a.groups.first()
    return [make_pupil(world.school_a, group, f"Kind{i}", "Test") for i in range(5)]


def deliver(lvs, world, pupils, settings) -> list:
    settings.UWLR_BATCH_SIZE = 10
    settings.UWLR_TRIES_PER_BATCH = 3
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        store(pupils, 25)
        first = export.deliver_link(link.pk, sleep=lambda s: None)
        assert first.attempts == 4, "one try for the first batch, three for the second"
        assert DeliveryBatch.objects.filter(link=link, status=BatchStatus.CONFIRMED).count() == 1
        export.export_all(catch_up=True)
    return list(DeliveryBatch.objects.filter(link=link).order_by("pk"))


def assert_each_key_in_one_message_only(lvs) -> None:
    by_key = {}
    for message in lvs.messages:
        for key in message:
            assert by_key.setdefault(key, message) == message, key


def test_a_batch_whose_every_try_got_no_answer_is_sent_again_as_the_same_batch(world, pupils, settings, fast_retries):
    # The LVS stores batch two each time but answers too late: three lost confirmations.
    lvs = ReferenceLvs({LVS_KEY}, script=[OK, SLOW, SLOW, SLOW], slow_seconds=1.0)
    batches = deliver(lvs, world, pupils, settings)

    assert [b.status for b in batches] == [BatchStatus.CONFIRMED] * 3
    assert [b.size for b in batches] == [10, 10, 5]
    assert [b.attempts for b in batches] == [1, 4, 1]
    assert [len(m) for m in lvs.messages] == [10, 10, 10, 10, 10, 5]
    assert lvs.messages[1] == lvs.messages[2] == lvs.messages[3] == lvs.messages[4]
    assert_each_key_in_one_message_only(lvs)
    assert result_ids(lvs.stored) == sorted(f"r-{i}" for i in range(25))
    assert lvs.repeated_keys == 30


def test_a_batch_refused_on_every_try_is_kept_and_delivered_by_the_next_run(world, pupils, settings, fast_retries):
    lvs = ReferenceLvs({LVS_KEY}, script=[OK, PLAIN_500, PLAIN_500, PLAIN_500])
    batches = deliver(lvs, world, pupils, settings)

    assert [b.status for b in batches] == [BatchStatus.CONFIRMED] * 3
    assert [b.attempts for b in batches] == [1, 4, 1]
    assert [len(m) for m in lvs.messages] == [10, 10, 5]
    assert_each_key_in_one_message_only(lvs)
    assert result_ids(lvs.stored) == sorted(f"r-{i}" for i in range(25))
    assert lvs.repeated_keys == 0
