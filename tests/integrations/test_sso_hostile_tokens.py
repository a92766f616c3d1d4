"""Every malformed or hostile ID token, and a UserInfo answer about someone else, is a clean
refusal page — never a 500, never a login.

The provider is tests/oidc_peer.py: a small server on loopback speaking the protocol that
answers whatever token a test gives it. A valid token through the same peer logs in, so the
refusals are the checks' doing."""

from __future__ import annotations

import time
from base64 import b64decode

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from roster.models import Staff
from tests.factories import make_staff
from tests.oidc_peer import CLIENT_ID, CLIENT_SECRET, _jwk, claims_for, log_in, rs256

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db) -> Staff:
    return make_staff("Ilse", "Bakker")


REFUSED = "Inloggen via Basispoort is niet gelukt"


def assert_logged_in(client: Client, back) -> None:
    assert back.status_code == 302, back.content[:800]
    assert "_auth_user_id" in client.session


def assert_refused(client: Client, back) -> None:
    assert back.status_code in (400, 401), back.status_code  # a refusal, never a 500
    assert REFUSED in back.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_valid_token_logs_in(provider, person):
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)))
    )
    assert_logged_in(client, back)


def test_a_token_without_kid_is_accepted_when_the_key_set_has_exactly_one_key(provider, person):
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)), kid=None)
    )
    assert_logged_in(client, back)


def test_a_token_without_kid_is_refused_when_the_key_set_has_two_keys(provider, person):
    provider.keys.append(_jwk(provider.other_rsa_key.public_key(), "k2", jwt.algorithms.RSAAlgorithm))
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)), kid=None)
    )
    assert_refused(client, back)


def hostile_tokens():
    def hs256(provider, nonce, sub):
        # Signed with the client secret, which a symmetric-key confusion would accept.
        return jwt.encode(claims_for(provider, nonce, sub), CLIENT_SECRET, algorithm="HS256", headers={"kid": "k1"})

    def none(provider, nonce, sub):
        return jwt.encode(claims_for(provider, nonce, sub), None, algorithm="none", headers={"kid": "k1"})

    def unknown_kid(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub), kid="not-published")

    def foreign_key(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub), key=provider.other_rsa_key)

    def missing(claim):
        return lambda provider, nonce, sub: rs256(provider, claims_for(provider, nonce, sub, **{claim: None}))

    def audiences(azp):
        return lambda provider, nonce, sub: rs256(
            provider, claims_for(provider, nonce, sub, aud=[CLIENT_ID, "another-client"], azp=azp)
        )

    def expired(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub, exp=int(time.time()) - 3600))

    def es256_with_rsa_kid(provider, nonce, sub):
        key = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(claims_for(provider, nonce, sub), key, algorithm="ES256", headers={"kid": "k1"})

    def numeric_sub(provider, nonce, sub):
        return rs256(provider, claims_for(provider, nonce, sub, sub=int(sub)))

    def garbage(provider, nonce, sub):
        return "not.a.jwt"

    return {
        "HS256": hs256,
        "alg none": none,
        "unknown kid": unknown_kid,
        "foreign key": foreign_key,
        "no exp": missing("exp"),
        "no iat": missing("iat"),
        "no sub": missing("sub"),
        "two audiences, foreign azp": audiences("another-client"),
        "two audiences, no azp": audiences(None),
        "expired": expired,
        "ES256 naming an RSA key": es256_with_rsa_kid,
        "sub not a string": numeric_sub,
        "not a JWT": garbage,
    }


@pytest.mark.parametrize("kind", list(hostile_tokens()))
def test_hostile_token_is_a_clean_refusal(provider, person, kind):
    make = hostile_tokens()[kind]
    client, back = log_in(provider, lambda nonce: make(provider, nonce, str(person.basispoort_id)))
    assert_refused(client, back)


def test_two_audiences_with_our_azp_are_accepted(provider, person):
    client, back = log_in(
        provider,
        lambda nonce: rs256(
            provider,
            claims_for(provider, nonce, str(person.basispoort_id), aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID),
        ),
    )
    assert_logged_in(client, back)


def test_userinfo_is_fetched_and_its_claims_used(provider, person):
    provider.userinfo = {"sub": str(person.basispoort_id), "given_name": "Uit", "family_name": "UserInfo"}
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)))
    )
    assert_logged_in(client, back)
    assert "/userinfo" in provider.paths

    account = SocialAccount.objects.get(uid=str(person.basispoort_id))
    assert account.user.last_name == "UserInfo"


def test_userinfo_about_someone_else_is_refused(provider, person):
    provider.userinfo = {"sub": "200099", "name": "Iemand Anders"}
    client, back = log_in(
        provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)))
    )
    assert_refused(client, back)
    assert "/userinfo" in provider.paths


def test_discovery_document_is_fetched_once_for_several_logins(provider, person):
    for _ in range(3):
        client, back = log_in(
            provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id)))
        )
        assert_logged_in(client, back)
    assert provider.paths.count("/.well-known/openid-configuration") == 1
    assert provider.paths.count("/jwks") == 1


def test_client_authenticates_with_http_basic_by_default(provider, person):
    log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    (request,) = provider.token_requests
    user, _, secret = b64decode(request["authorization"].removeprefix("Basic ")).decode().partition(":")
    assert (user, secret) == (CLIENT_ID, CLIENT_SECRET)
    assert "client_secret" not in request["form"]
    assert request["form"]["code_verifier"]


def test_client_secret_post_is_possible(provider, person, settings):
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["token_auth_method"] = (
        "client_secret_post"
    )
    log_in(provider, lambda nonce: rs256(provider, claims_for(provider, nonce, str(person.basispoort_id))))
    (request,) = provider.token_requests
    assert request["authorization"] == ""
    assert request["form"]["client_secret"] == CLIENT_SECRET and request["form"]["client_id"] == CLIENT_ID
