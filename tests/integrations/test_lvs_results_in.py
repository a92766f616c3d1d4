"""POST /api/resultaten/: per-service token, clear 400s, idempotent on the result's own id."""

from __future__ import annotations

import pytest

from integrations.models import Delivery, LearningResult, ResultKind
from roster.models import Pupil
from tests.lvs_helpers import RESULTS_URL as URL
from tests.lvs_helpers import make_result_link, make_service_token
from tests.lvs_helpers import post_results as post
from tests.lvs_helpers import result_item as item


@pytest.fixture
def token(db):
    return make_service_token()[1]


@pytest.fixture
def emma(world) -> Pupil:
    return Pupil.objects.get(first_name="Emma")


def test_without_or_with_a_wrong_token_it_is_401(client, emma, token):
    assert post(client, {"resultaten": [item(emma)]}, None).status_code == 401
    response = post(client, {"resultaten": [item(emma)]}, "not-the-token")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert not LearningResult.objects.exists()


def test_results_are_stored_and_practice_results_queued_for_each_current_link(client, world, emma, token):
    link = make_result_link(world.school_a)
    body = {"resultaten": [item(emma, "p1"), item(emma, "t1", soort="toetsresultaat")]}
    response = post(client, body, token)
    assert response.status_code == 200, response.content
    assert response.json() == {"opgeslagen": 2, "al_ontvangen": 0}
    assert set(LearningResult.objects.values_list("external_id", "kind")) == {
        ("p1", ResultKind.PRACTICE),
        ("t1", ResultKind.TEST),
    }
    assert list(Delivery.objects.values_list("link_id", "result__external_id")) == [(link.pk, "p1")]
    assert LearningResult.objects.get(external_id="p1").school_year == "2026-2027"


def test_posting_the_same_result_again_changes_nothing(client, world, emma, token):
    make_result_link(world.school_a)
    post(client, {"resultaten": [item(emma, "p1")]}, token)
    again = post(client, {"resultaten": [item(emma, "p1", score=1), item(emma, "p1"), item(emma, "p2")]}, token)
    assert again.json() == {"opgeslagen": 1, "al_ontvangen": 2}
    assert LearningResult.objects.get(external_id="p1").score == 8
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "geen geldige JSON"),
        ({"resultaten": []}, "niet-lege lijst"),
        ([1, 2], "niet-lege lijst"),
    ],
)
def test_malformed_bodies_get_a_clear_400(client, emma, token, body, message):
    response = post(client, body, token)
    assert response.status_code == 400 and message in response.json()["fout"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"score": -1}, "negatief"),
        ({"score": "8"}, "geheel getal"),
        ({"soort": "quiz"}, "oefenresultaat"),
        ({"afnamedatum": "27-11-2026"}, "afnamedatum"),
        ({"toetscode": ""}, "toetscode"),
        ({"leerling": 1}, "onbekend voor deze dienst"),
        ({"school": 1}, "onbekend voor deze dienst"),
    ],
)
def test_one_bad_result_rejects_the_request_and_stores_nothing(client, emma, token, changes, message):
    response = post(client, {"resultaten": [item(emma, "ok-1"), item(emma, "bad", **changes)]}, token)
    assert response.status_code == 400
    errors = response.json()["fouten"]
    assert [e["index"] for e in errors] == [1] and message in errors[0]["fout"]
    assert not LearningResult.objects.exists()


def test_a_pupil_of_another_school_is_refused(client, world, token):
    noah = Pupil.objects.get(first_name="Noah")
    response = post(client, {"resultaten": [item(noah, school=world.school_a.basispoort_id)]}, token)
    assert response.status_code == 400 and not LearningResult.objects.exists()


def test_an_inactive_token_is_refused(client, emma):
    service, token = make_service_token("oud")
    service.active = False
    service.save()
    assert post(client, {"resultaten": [item(emma)]}, token).status_code == 401


def test_get_is_not_allowed(client, token):
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_queries_do_not_grow_with_the_number_of_results(client, world, emma, token, django_assert_max_num_queries):
    make_result_link(world.school_a)
    with django_assert_max_num_queries(12):
        response = post(client, {"resultaten": [item(emma, f"q{i}") for i in range(500)]}, token)
    assert response.json()["opgeslagen"] == 500
