"""Hostile SAML responses at the Entree ACS: each refused with the refusal page, nobody logged in,
no account or link changed. The responses are built and signed by tests/saml_idp.py (xmlsec), not
by our client; the first test shows the same builder's honest answer does log the person in."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from tests.saml_idp import ACS_PATH, COORDINATOR, LOGIN_PATH, TEACHER, assertion_xml, authn_request_of, posted

REFUSAL = "Inloggen via Entree is niet gelukt"


@pytest.fixture
def linked_coordinator(world, entree):
    """Sanne (coordinator of De Regenboog and Het Kompas) has linked her Entree account before."""
    staff = world.coordinator_ab
    user = get_user_model().objects.create(username=f"bp{staff.basispoort_id}")
    SocialAccount.objects.create(user=user, provider="basispoort", uid=str(staff.basispoort_id))
    SocialAccount.objects.create(user=user, provider="entree", uid=COORDINATOR.uid)
    return user


def start_login(client) -> str:
    response = client.post(LOGIN_PATH)
    assert response.status_code == 302, response.content
    request_id, _query, _root = authn_request_of(response["Location"])
    return request_id


def post_response(client, xml: bytes):
    at_acs = client.post(ACS_PATH, {"SAMLResponse": posted(xml)})
    assert at_acs.status_code == 302
    return client.get(at_acs["Location"])


def accounts_state():
    return sorted(SocialAccount.objects.values_list("provider", "uid", "user_id"))


def assert_refused(client, page, before):
    assert page.status_code == 400
    assert REFUSAL in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert accounts_state() == before


def test_an_honest_response_logs_the_linked_person_in(client, entree, linked_coordinator):
    request_id = start_login(client)
    page = post_response(client, entree.respond(COORDINATOR, request_id))
    assert page.status_code == 302
    assert client.session["_auth_user_id"] == str(linked_coordinator.pk)


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, rid, signer=None), id="unsigned"),
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, rid, signer=idp.keys.stranger), id="another-key"),
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, rid, algorithm="sha1"), id="sha1"),
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, rid, audience="https://other-sp.test/"), id="audience"),
        pytest.param(
            lambda idp, rid: idp.respond(
                COORDINATOR,
                rid,
                now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
                lifetime=dt.timedelta(minutes=5),
            ),
            id="expired",
        ),
        pytest.param(
            lambda idp, rid: idp.respond(COORDINATOR, rid, destination="https://evil.test" + ACS_PATH), id="destination"
        ),
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, "_another_login"), id="in-response-to-another-login"),
        # Refused by our own checks where python3-saml is lenient: a missing audience, another
        # Recipient, and a Destination that only starts with our ACS URL.
        pytest.param(lambda idp, rid: idp.respond(COORDINATOR, rid, audience=""), id="no-audience"),
        pytest.param(
            lambda idp, rid: idp.respond(COORDINATOR, rid, recipient="https://evil.test" + ACS_PATH), id="recipient"
        ),
        pytest.param(
            lambda idp, rid: idp.respond(COORDINATOR, rid, destination=idp.acs_url + "elders/"), id="destination-prefix"
        ),
    ],
)
def test_hostile_response_is_refused(client, entree, linked_coordinator, hostile):
    request_id = start_login(client)
    before = accounts_state()
    xml = hostile(entree, request_id)
    assert_refused(client, post_response(client, xml), before)


def test_signature_wrapping_is_refused(client, entree, linked_coordinator, world):
    """The signed assertion is the teacher's; beside it an unsigned one claims the coordinator."""
    request_id = start_login(client)
    before = accounts_state()
    signed = entree.respond(TEACHER, request_id)
    wrapped = entree.respond(
        TEACHER,
        request_id,
        extra_assertion=assertion_xml(COORDINATOR, in_response_to=request_id, acs_url=entree.acs_url),
    )
    assert signed != wrapped
    assert_refused(client, post_response(client, wrapped), before)


def test_the_same_response_posted_twice_is_refused(client, entree, linked_coordinator):
    request_id = start_login(client)
    xml = entree.respond(COORDINATOR, request_id)
    assert post_response(client, xml).status_code == 302
    client.logout()
    # A new login in this session, answered with the old response's assertion under a new request id.
    second_id = start_login(client)
    before = accounts_state()
    assert_refused(client, post_response(client, xml), before)
    assert second_id != request_id


def test_a_replayed_assertion_under_a_fresh_request_is_refused(client, entree, linked_coordinator):
    """The assertion id is remembered in Redis: the same assertion cannot answer a second request."""
    once = "_assertion-" + secrets.token_hex(8)  # Redis outlives a test run: a fresh id each time
    first = start_login(client)
    assert post_response(client, entree.respond(COORDINATOR, first, assertion_id=once)).status_code == 302
    client.logout()
    second = start_login(client)
    before = accounts_state()
    replay = entree.respond(COORDINATOR, second, assertion_id=once)
    assert_refused(client, post_response(client, replay), before)


def test_an_unsolicited_response_is_refused(client, entree, linked_coordinator):
    """IdP-initiated: no request of ours in this session, and no InResponseTo at all."""
    before = accounts_state()
    xml = entree.respond(COORDINATOR, "").replace(b' InResponseTo=""', b"")
    assert b"InResponseTo" not in xml
    assert_refused(client, post_response(client, xml), before)


def test_a_response_to_another_browser_session_is_refused(client, entree, linked_coordinator):
    """InResponseTo names a real request, but one sent from someone else's session."""
    other = Client()
    other_request = start_login(other)
    start_login(client)
    before = accounts_state()
    assert_refused(client, post_response(client, entree.respond(COORDINATOR, other_request)), before)


@pytest.mark.parametrize(
    "garbage",
    [
        "not base64 at all %%%",
        posted(b"<not-saml/>"),
        posted(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'"),
    ],
    ids=["not-base64", "not-a-response", "broken-xml"],
)
def test_garbage_is_refused_without_a_500(client, entree, linked_coordinator, garbage):
    start_login(client)
    before = accounts_state()
    at_acs = client.post(ACS_PATH, {"SAMLResponse": garbage})
    assert_refused(client, client.get(at_acs["Location"]), before)


def test_a_signature_whose_value_is_broken_is_refused(client, entree, linked_coordinator):
    request_id = start_login(client)
    before = accounts_state()
    xml = entree.respond(COORDINATOR, request_id)
    start = xml.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    broken = xml[:start] + b"!!" + xml[start + 2 :]
    assert_refused(client, post_response(client, broken), before)
