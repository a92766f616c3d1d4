"""Our registry client against the reference registry over mutual TLS: versions, 409, 400, 401/403, 404, digests."""

from __future__ import annotations

import hashlib

import pytest
import requests
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.reference_registry import ERROR_500, ERROR_503, LOST_REPLY, TOO_MANY, ReferenceRegistry, running
from integrations.registry import protocol
from integrations.registry.client import CertificateRefused, Invalid, Stored, Transient
from tests.registry_helpers import client_for

SCHOOL, OTHER = 700_001, 700_002


def body(versie: int, *ids: int, **overrides) -> dict:
    return {
        "versie": versie,
        "schooljaar": "2026-2027",
        "geldigTot": "2027-07-31",
        "product": {
            "naam": "Rekenroute 5",
            "methode": "Rekenroute",
            "productsoort": "Basis digitaal",
            "url": "https://x.example/",
        },
        "gebruikers": [{"id": i, "eckid": None, "rol": "leerling"} for i in ids],
        **overrides,
    }


@pytest.fixture
def client(reference_registry, registry_pki):
    return client_for(reference_registry[1], registry_pki)


def test_a_newer_version_replaces_the_set_and_an_older_one_is_refused_with_the_current(reference_registry, client):
    registry, _ = reference_registry
    assert client.put_set(SCHOOL, "reken-5", body(2, 11, 12)) == Stored(2)
    assert client.put_set(SCHOOL, "reken-5", body(1, 99)) == Stored(2, stale=True)
    assert registry.sets() == {(SCHOOL, "reken-5"): {11, 12}}
    assert client.put_set(SCHOOL, "reken-5", body(3, 12)) == Stored(3)
    assert registry.sets() == {(SCHOOL, "reken-5"): {12}}


def test_the_same_push_twice_is_stored_once_but_a_different_set_under_the_same_version_is_refused(
    reference_registry, client
):
    assert client.put_set(SCHOOL, "reken-5", body(4, 11)) == Stored(4)
    assert client.put_set(SCHOOL, "reken-5", body(4, 11)) == Stored(4)  # the answer was lost; sent again
    assert client.put_set(SCHOOL, "reken-5", body(4, 11, 12)) == Stored(4, stale=True)
    assert reference_registry[0].sets()[(SCHOOL, "reken-5")] == {11}


@pytest.mark.parametrize(
    "bad",
    [
        {"versie": 0},
        {"versie": True},
        {"schooljaar": "2026-2028"},
        {"geldigTot": "31-07-2027"},
        {"gebruikers": [{"id": 5, "eckid": None, "rol": "directeur"}]},
        {"gebruikers": [{"id": 5, "eckid": None, "rol": "leerling"}, {"id": 5, "eckid": None, "rol": "leerling"}]},
        {"gebruikers": [{"id": "5", "eckid": None, "rol": "leerling"}]},
        {"product": {"naam": "x", "methode": "y", "productsoort": "z"}},
    ],
)
def test_an_invalid_body_is_refused_with_a_reason_and_nothing_changes(reference_registry, client, bad):
    client.put_set(SCHOOL, "reken-5", body(1, 11))
    with pytest.raises(Invalid, match=r"HTTP 400 .+"):
        client.put_set(SCHOOL, "reken-5", body(2, 11) | bad)
    assert reference_registry[0].sets() == {(SCHOOL, "reken-5"): {11}}


def test_delete_with_a_version_and_404_counts_as_done_and_an_older_push_cannot_bring_it_back(
    reference_registry, client
):
    client.put_set(SCHOOL, "reken-5", body(1, 11))
    assert client.delete_set(SCHOOL, "reken-5", 2) == Stored(2)
    assert client.delete_set(SCHOOL, "reken-5", 3) == Stored(3)  # 404: already gone
    assert client.put_set(SCHOOL, "reken-5", body(1, 11)) == Stored(3, stale=True)  # the highest version seen
    assert reference_registry[0].sets() == {}


def test_an_older_delete_is_refused_while_a_newer_set_stands(reference_registry, client):
    client.put_set(SCHOOL, "reken-5", body(5, 11))
    assert client.delete_set(SCHOOL, "reken-5", 4) == Stored(5, stale=True)
    assert reference_registry[0].sets() == {(SCHOOL, "reken-5"): {11}}


def test_the_listing_gives_digests_we_can_compute_independently(reference_registry, client):
    client.put_set(SCHOOL, "reken-5", body(1, 9, 10, 100))
    client.put_set(OTHER, "taal-3", body(1, 7))
    listed = client.list_sets(SCHOOL)
    assert set(listed) == {"reken-5"}
    # The protocol's own words, done by hand: ascending, as decimal strings, joined by ",".
    assert listed["reken-5"].sha256 == hashlib.sha256(b"9,10,100").hexdigest()
    assert (listed["reken-5"].versie, listed["reken-5"].aantal) == (1, 3)


def test_a_person_sees_the_tiles_of_the_sets_they_are_in(reference_registry, client):
    client.put_set(SCHOOL, "reken-5", body(1, 11, 12))
    client.put_set(OTHER, "taal-3", body(1, 12))
    assert [t["productcode"] for t in client.lesmateriaal(12)] == ["reken-5", "taal-3"]
    assert client.lesmateriaal(11)[0] == {
        "instellingId": SCHOOL,
        "productcode": "reken-5",
        "naam": "Rekenroute 5",
        "methode": "Rekenroute",
        "productsoort": "Basis digitaal",
        "url": "https://x.example/",
    }
    assert client.lesmateriaal(13) == []


@pytest.mark.parametrize("fault", [ERROR_500, ERROR_503, TOO_MANY, LOST_REPLY])
def test_429_and_5xx_are_transient(reference_registry, client, fault):
    reference_registry[0].script.append(fault)
    with pytest.raises(Transient):
        client.put_set(SCHOOL, "reken-5", body(1, 11))


def test_a_request_without_certificate_gets_401_and_a_stranger_certificate_fails_the_handshake(
    reference_registry, registry_pki, tmp_path
):
    _, url = reference_registry
    answer = requests.get(url + "licenties/1", verify=str(registry_pki.ca), timeout=5)
    assert answer.status_code == 401
    stranger = trustme.CA().issue_cert("indringer.example")
    stranger.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "stranger.pem"))
    with pytest.raises(CertificateRefused):
        client_for(url, registry_pki, cert=tmp_path / "stranger.pem").list_sets(SCHOOL)


def test_a_certificate_of_the_right_ca_but_not_on_the_list_gets_403(registry_pki):
    registry = ReferenceRegistry(allowed_clients={"een-andere-uitgever.example"})
    with running(registry, registry_pki) as url, pytest.raises(CertificateRefused, match="HTTP 403"):
        client_for(url, registry_pki).put_set(SCHOOL, "reken-5", body(1, 11))
    assert registry.sets() == {}


def test_plain_http_is_never_spoken(registry_pki):
    with pytest.raises(CertificateRefused, match="https"):
        client_for("http://127.0.0.1:9/rest/v1/", registry_pki).list_sets(SCHOOL)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=2**63 - 1), max_size=30))
def test_the_digest_is_order_free_and_matches_the_spelled_out_rule(ids):
    shuffled = list(ids)[::-1]
    expected = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()
    assert protocol.digest(shuffled) == protocol.digest(ids) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_hostile_bodies_are_judged_without_crashing(value):
    error = protocol.body_errors(value)
    assert error is None or isinstance(error, str)
