"""Practice results posted by the pupil app → export task → the reference LVS has each exactly once."""

from __future__ import annotations

import json

import pytest

from integrations import tasks
from integrations.actions import add_link, remove_link
from integrations.models import BatchStatus, DeliveryBatch, LinkStatus, ResultLink
from roster.models import Pupil
from tests.factories import make_pupil
from tests.lvs_helpers import (
    LVS_KEY,
    make_result_link,
    make_service_token,
    make_supplier,
    result_ids,
    staff_actor,
    store,
)


@pytest.fixture
def pupils(world) -> list[Pupil]:
    group = world.school_a.groups.first()
    return [Pupil.objects.get(first_name="Emma")] + [
        make_pupil(world.school_a, group, f"Kind{i}", "Test") for i in range(9)
    ]


def post_results(client, token, pupils, ids, kind="oefenresultaat"):
    for start in range(0, len(ids), 1000):
        body = {
            "resultaten": [
                {
                    "id": result_id,
                    "school": pupils[0].school.basispoort_id,
                    "leerling": pupils[n % len(pupils)].basispoort_id,
                    "soort": kind,
                    "toetscode": f"taalverhaal-5-thema{n % 4}",
                    "toetsnaam": f"Taalverhaal thema {n % 4}",
                    "afnamedatum": "2026-11-27",
                    "score": n % 10,
                }
                for n, result_id in enumerate(ids[start : start + 1000], start)
            ]
        }
        response = client.post(
            "/api/resultaten/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 200, response.content


def test_practice_results_arrive_exactly_once_and_test_results_never(client, world, pupils, momento, reference_lvs):
    lvs, _url = reference_lvs
    link = make_result_link(world.school_a, momento)
    make_result_link(world.school_c, momento)  # another school's link with nothing to send
    _service, token = make_service_token()
    practice = [f"oef-{i}" for i in range(2500)]
    tests_ = [f"toets-{i}" for i in range(300)]
    post_results(client, token, pupils, practice)
    post_results(client, token, pupils, tests_, kind="toetsresultaat")

    tasks.export_results()

    assert result_ids(lvs.stored) == sorted(practice)
    assert not set(result_ids(lvs.stored)) & set(tests_)
    assert lvs.repeated_keys == 0
    assert [len(m) for m in lvs.messages] == [1000, 1000, 500]
    assert {r.school for r in lvs.stored.values()} == {"12AB"}
    batches = DeliveryBatch.objects.filter(link=link)
    assert set(batches.values_list("status", flat=True)) == {BatchStatus.CONFIRMED}
    link.refresh_from_db()
    assert link.last_delivery_at and link.status == LinkStatus.ACTIVE

    # A second run has nothing to send; a repost of delivered results changes nothing either.
    post_results(client, token, pupils, practice[:10])
    tasks.export_results()
    tasks.export_results_catch_up()
    assert len(lvs.messages) == 3 and lvs.repeated_keys == 0


def test_a_new_link_sends_this_years_earlier_results_and_every_new_one(client, world, pupils, momento, reference_lvs):
    """A link sends this school year's results that were already there, and every new one after."""
    lvs, _url = reference_lvs
    _service, token = make_service_token()
    post_results(client, token, pupils, ["vooraf-1", "vooraf-2"])
    add_link(
        school=world.school_a,
        supplier=momento,
        key=LVS_KEY,
        staff=world.coordinator_a,
        actor=staff_actor(world.coordinator_a),
    )
    post_results(client, token, pupils, ["na-1"])
    tasks.export_results()
    assert result_ids(lvs.stored) == ["na-1", "vooraf-1", "vooraf-2"]


def test_withdrawn_consent_sends_nothing(client, world, pupils, momento, reference_lvs):
    lvs, _url = reference_lvs
    link = make_result_link(world.school_a, momento)
    _service, token = make_service_token()
    post_results(client, token, pupils, ["a", "b"])
    remove_link(link=link, actor=staff_actor(world.coordinator_a))
    post_results(client, token, pupils, ["c"])
    tasks.export_results_catch_up()
    assert lvs.requests == 0
    assert not ResultLink.objects.current().exists()


def test_a_link_made_again_after_removal_does_not_resend_what_arrived(client, world, pupils, momento, reference_lvs):
    lvs, _url = reference_lvs
    _service, token = make_service_token()
    post_results(client, token, pupils, ["x-1", "x-2"])
    first = add_link(
        school=world.school_a,
        supplier=momento,
        key=LVS_KEY,
        staff=world.coordinator_a,
        actor=staff_actor(world.coordinator_a),
    )
    tasks.export_results()
    remove_link(link=first, actor=staff_actor(world.coordinator_a))
    post_results(client, token, pupils, ["x-3"])  # while there is no consent: never sent by the old link
    add_link(
        school=world.school_a,
        supplier=momento,
        key=LVS_KEY,
        staff=world.coordinator_a,
        actor=staff_actor(world.coordinator_a),
    )
    tasks.export_results_catch_up()
    assert [len(m) for m in lvs.messages] == [2, 1]
    assert result_ids(lvs.stored) == ["x-1", "x-2", "x-3"] and lvs.repeated_keys == 0


def test_links_are_exported_in_parallel_threads_each_exactly_once(transactional_db, world, settings, reference_lvs):
    settings.UWLR_EXPORT_THREADS = 3
    lvs, url = reference_lvs
    momento = make_supplier("Momento", url)
    schools = [world.school_a, world.school_b, world.school_c]
    for school in schools:
        make_result_link(school, momento)
        group = school.groups.first()
        store([make_pupil(school, group, "Kind", school.name)], 1500, prefix=f"s{school.pk}")
    runs = tasks.export_results()
    assert runs == 3
    assert len(lvs.stored) == 4500 and lvs.repeated_keys == 0
    assert {r.school for r in lvs.stored.values()} == {"12AB", "34CD"}
    assert sorted(len(m) for m in lvs.messages) == [500, 500, 500, 1000, 1000, 1000]
