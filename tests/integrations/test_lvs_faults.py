"""Faults on the way to the LVS: retries with back-off, exactly once, refused keys, withdrawn consent."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from demo.reference_lvs import KEY_FAULT, OK, PLAIN_500, SERVER_FAULT, SLOW, ReferenceLvs, running
from integrations import export
from integrations.actions import change_key, remove_link
from integrations.models import BatchStatus, Delivery, DeliveryBatch, LinkStatus, ResultLink
from roster.models import Pupil
from tests.factories import make_pupil
from tests.lvs_helpers import LVS_KEY, make_result_link, make_supplier, result_ids, staff_actor, store


@pytest.fixture
def pupils(world) -> list[Pupil]:
    group = world.school_a.groups.first()
    return [make_pupil(world.school_a, group, f"Kind{i}", "Test") for i in range(25)]


def pending(link) -> int:
    return Delivery.objects.filter(link=link).exclude(batch__status=BatchStatus.CONFIRMED).count()


def test_5000_results_with_30_percent_500s_and_timeouts_arrive_exactly_once(world, pupils, settings, fast_retries):
    settings.UWLR_BATCH_SIZE = 100
    lvs = ReferenceLvs({LVS_KEY}, fail_rate=0.3, fail_modes=(PLAIN_500, SLOW, SERVER_FAULT), slow_seconds=1.0, seed=11)
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        store(pupils, 5000)
        store(pupils, 200, kind="toetsresultaat", prefix="t")
        runs = 0
        while pending(link) and runs < 60:
            export.export_all(catch_up=True)  # the nightly catch-up ignores back-off: no waiting in a test
            runs += 1

    failures = Counter(mode for mode in lvs.modes_used if mode != OK)
    assert failures[PLAIN_500] and failures[SLOW] and failures[SERVER_FAULT], failures
    assert 0.2 < sum(failures.values()) / lvs.requests < 0.4
    expected = {f"r-{i}" for i in range(5000)}
    assert set(result_ids(lvs.stored)) == expected and len(lvs.stored) == 5000
    # A key may reach the LVS twice only when a confirmation got lost (timeout) and the very same
    # batch was sent again; never in two different messages.
    by_key = {}
    for message in lvs.messages:
        for key in message:
            assert by_key.setdefault(key, message) == message
    assert lvs.repeated_keys == sum(len(m) for m in lvs.messages) - 5000
    batches = DeliveryBatch.objects.filter(link=link)
    assert batches.filter(status=BatchStatus.CONFIRMED).count() == 50
    assert sum(batches.values_list("size", flat=True)) == 5000
    assert sum(batches.values_list("attempts", flat=True)) == lvs.requests
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE and link.failed_runs == 0


def test_a_failing_run_backs_off_exponentially(world, pupils, settings, fast_retries):
    settings.UWLR_TRIES_PER_BATCH = 3
    lvs = ReferenceLvs({LVS_KEY}, script=[PLAIN_500] * 6)
    slept = []
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        store(pupils, 10)
        first = export.deliver_link(link.pk, sleep=slept.append)
        link.refresh_from_db()
        wait_1 = link.next_attempt_at - timezone.now()
        assert export.due_links(timezone.now()).filter(pk=link.pk).count() == 0
        export.deliver_link(link.pk, sleep=slept.append)
        link.refresh_from_db()
        wait_2 = link.next_attempt_at - timezone.now()
        export.deliver_link(link.pk, sleep=slept.append)
    assert first.attempts == 3 and first.stopped_by == "server_error"
    assert slept == [0.001, 0.002] * 2
    assert 14 * 60 < wait_1.total_seconds() <= 15 * 60 and 29 * 60 < wait_2.total_seconds() <= 30 * 60
    assert link.status == LinkStatus.UNREACHABLE
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE and link.failed_runs == 0 and link.next_attempt_at is None
    assert len(lvs.stored) == 10


def test_a_refused_key_stops_all_tries_until_the_key_is_changed(world, pupils, fast_retries):
    lvs = ReferenceLvs({LVS_KEY}, script=[OK, KEY_FAULT])
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        store(pupils, 250)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.conf.settings.UWLR_BATCH_SIZE", 100)
            run = export.deliver_link(link.pk)
            assert run.stopped_by == "key refused" and run.attempts == 2
            link.refresh_from_db()
            assert link.status == LinkStatus.KEY_REFUSED and "AutorisatieOngeldig" in link.status_message
            export.export_all()
            export.export_all(catch_up=True)
            assert lvs.requests == 2
            # "Sleutel wijzigen" re-checks the key; an accepted key sends the rest.
            change_key(link=link, key=LVS_KEY, actor=staff_actor(world.coordinator_a))
            assert export.check_key(link) == LinkStatus.ACTIVE
            export.export_all()
    assert len(lvs.stored) == 250


def test_consent_withdrawn_mid_run_stops_sending_at_once(transactional_db, world, pupils, settings, fast_retries):
    settings.UWLR_BATCH_SIZE = 100
    seen = []

    def withdraw_after_third(keys):
        seen.append(keys)
        if len(seen) == 3:
            # Runs in the LVS's request thread, like a coordinator clicking "Verwijderen" meanwhile.
            try:
                remove_link(link=ResultLink.objects.get(pk=link.pk), actor=staff_actor(world.coordinator_a))
            finally:
                connection.close()

    lvs = ReferenceLvs({LVS_KEY}, on_message=withdraw_after_third)
    with running(lvs) as url:
        link = make_result_link(world.school_a, make_supplier("Momento", url))
        store(pupils, 1000)
        run = export.deliver_link(link.pk)
        export.export_all(catch_up=True)
    assert len(lvs.messages) == 3 and lvs.requests == 3
    assert run.stopped_by == "consent or key"
    assert not Delivery.objects.filter(link=link, batch__isnull=True).exists()
    assert not DeliveryBatch.objects.filter(link=link, status=BatchStatus.PENDING).exists()


def test_a_second_sender_for_the_same_link_waits_its_turn(world, pupils):
    link = make_result_link(world.school_a)
    token = export.claim(link.pk, timezone.now())
    assert token
    assert export.deliver_link(link.pk).stopped_by == "busy"
    export.release(link.pk, token)
    assert export.claim(link.pk, timezone.now())
