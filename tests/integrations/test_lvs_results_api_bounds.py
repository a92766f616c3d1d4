"""POST /api/resultaten/ under hostile input: bounds on every field, JSON errors in one shape,
tokens bound to schools, result ids unique per service, and refusals that reveal nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.api import MAX_BODY_BYTES, MAX_SCORE
from integrations.models import LearningResult
from roster.models import Pupil
from tests.factories import make_pupil
from tests.lvs_helpers import RESULTS_URL as URL
from tests.lvs_helpers import make_service_token
from tests.lvs_helpers import post_results as post
from tests.lvs_helpers import result_item as item

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(db):
    return make_service_token()[1]


@pytest.fixture
def emma(world) -> Pupil:
    return Pupil.objects.get(first_name="Emma")


def assert_json_400(response, *words):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["fout"], str) and body["fout"]
    text = json.dumps(body, ensure_ascii=False)
    for word in words:
        assert word in text, (word, body)
    return body


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"score": 2**31}, "score"),
        ({"score": MAX_SCORE + 1}, "score"),
        ({"score": 2**80}, "score"),
        ({"afnamedatum": "9999-12-31"}, "afnamedatum"),
        ({"afnamedatum": "1900-01-01"}, "afnamedatum"),
        ({"afnamedatum": "20261127"}, "afnamedatum"),  # ISO 8601 basic form: not the documented date
        ({"toetscode": "blok\x01les"}, "toetscode"),
        ({"toetsnaam": "a\x0bb"}, "toetsnaam"),
        ({"id": "r\x00"}, "id"),
        ({"school": 2**63}, "school"),
        ({"leerling": -(2**64)}, "leerling"),
        ({"vakgebied": "x" * 101}, "vakgebied"),
    ],
)
def test_out_of_bounds_fields_get_a_json_400_naming_the_field(client, emma, token, changes, word):
    assert_json_400(post(client, {"resultaten": [item(emma, **changes)]}, token), word)
    assert not LearningResult.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"resultaten": [{"id": "\\ud800"}]}',  # a lone surrogate
        "[" * 100_000 + "]" * 100_000,  # nesting far beyond any parser's comfort
        '{"resultaten": [[[[[[1]]]]]]}',
        "\x00",
    ],
)
def test_unparseable_or_deep_json_gets_a_json_400(client, token, raw):
    assert_json_400(post(client, raw, token))


def test_a_body_over_the_limit_gets_a_json_413(client, emma, token):
    response = post(client, json.dumps({"resultaten": [item(emma)], "vulling": "x" * MAX_BODY_BYTES}), token)
    assert response.status_code == 413 and "fout" in response.json()


def test_a_token_writes_only_for_its_own_schools_and_refusals_read_the_same(client, world, emma):
    _service, token_a = make_service_token("app-school-a", schools=[world.school_a])
    noah = Pupil.objects.get(first_name="Noah")  # school C
    gone = make_pupil(world.school_a, world.school_a.groups.first(), "Daan", "Weg")
    Pupil.objects.filter(pk=gone.pk).update(active=False)

    assert post(client, {"resultaten": [item(emma, "own")]}, token_a).status_code == 200
    replies = [
        post(client, {"resultaten": [item(noah, "other-school")]}, token_a).json(),
        post(client, {"resultaten": [item(emma, "no-school", school=999_999_999)]}, token_a).json(),
        post(client, {"resultaten": [item(emma, "no-pupil", leerling=999_999_999)]}, token_a).json(),
        post(client, {"resultaten": [item(noah, "wrong-pair", school=world.school_a.basispoort_id)]}, token_a).json(),
        post(client, {"resultaten": [item(gone, "inactive")]}, token_a).json(),
    ]
    assert all(reply == replies[0] for reply in replies), replies
    assert str(noah.basispoort_id) not in json.dumps(replies)
    assert list(LearningResult.objects.values_list("external_id", flat=True)) == ["own"]


def test_a_token_for_no_school_writes_nothing(client, emma):
    _service, token = make_service_token("app-nothing", schools=[])
    _service.all_schools = False
    _service.save()
    assert_json_400(post(client, {"resultaten": [item(emma)]}, token))


def test_result_ids_are_unique_per_service_not_across_services(client, emma):
    _a, token_a = make_service_token("app-a")
    _b, token_b = make_service_token("app-b")
    assert post(client, {"resultaten": [item(emma, "42", score=1)]}, token_a).json() == {
        "opgeslagen": 1,
        "al_ontvangen": 0,
    }
    assert post(client, {"resultaten": [item(emma, "42", score=2)]}, token_b).json() == {
        "opgeslagen": 1,
        "al_ontvangen": 0,
    }
    assert post(client, {"resultaten": [item(emma, "42", score=3)]}, token_a).json() == {
        "opgeslagen": 0,
        "al_ontvangen": 1,
    }
    assert sorted(LearningResult.objects.values_list("score", flat=True)) == [1, 2]


# The request schema: each field either well-formed or replaced by any JSON value or hostile text.
anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**90), max_value=2**90)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=4),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
well_formed = {
    "id": st.text(st.characters(codec="utf-8", min_codepoint=0x20), min_size=1, max_size=200),
    "soort": st.sampled_from(["oefenresultaat", "toetsresultaat"]),
    "toetscode": st.text(st.characters(codec="utf-8", min_codepoint=0x20), min_size=1, max_size=256),
    "toetsnaam": st.text(max_size=128),
    "leerjaar": st.text(max_size=16),
    "vakgebied": st.text(max_size=100),
    "afnamedatum": st.dates().map(lambda d: d.isoformat()),
    "score": st.integers(min_value=-5, max_value=2**40),
}
request_item = st.fixed_dictionaries(
    {name: st.one_of(strategy, anything) for name, strategy in well_formed.items()},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(request_item, min_size=1, max_size=4), raw_unicode=st.booleans())
def test_the_api_never_answers_500_over_the_request_schema(world, emma, token, items, raw_unicode):
    client = Client(raise_request_exception=False)
    for entry in items:
        entry.setdefault("school", emma.school.basispoort_id)
        entry.setdefault("leerling", emma.basispoort_id)
    before = LearningResult.objects.count()
    body = json.dumps({"resultaten": items}, ensure_ascii=not raw_unicode)
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 400), response.content
    payload = response.json()
    if response.status_code == 400:
        assert isinstance(payload["fout"], str)
        assert all(set(e) == {"index", "fout"} for e in payload.get("fouten", []))
        assert LearningResult.objects.count() == before
    else:
        assert payload["opgeslagen"] + payload["al_ontvangen"] == len(items)
