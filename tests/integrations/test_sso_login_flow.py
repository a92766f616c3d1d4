"""The full OpenID Connect code flow against the real dev identity provider and a live app."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A, SCHOOL_C
from roster.models import School
from tests.sso import Browser, query_of, use_provider, with_query

pytestmark = pytest.mark.live


def school_pk(basispoort_id: int) -> int:
    return School.objects.get(basispoort_id=basispoort_id).pk


def test_authorisation_request_carries_state_nonce_and_pkce(sso):
    redirect = sso.start_login()
    params = query_of(redirect.headers["Location"])
    assert redirect.headers["Location"].startswith(sso.idp + "/o/authorize/")
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 8 and len(params["nonce"]) >= 32
    assert "openid" in params["scope"].split()


def test_coordinator_of_two_schools_logs_in_and_chooses(sso):
    landing = sso.login(DEMO_COORDINATOR.basispoort_id)
    assert landing.status_code == 200
    assert landing.url.endswith("/scholen/")
    assert "Kies je school" in landing.text
    assert "De Regenboog" in landing.text and "Het Kompas" in landing.text
    assert "De Wilgenhoek" not in landing.text
    beheer = sso.get(f"/school/{school_pk(SCHOOL_A)}/beheer/")
    assert beheer.status_code == 200 and "Beheer" in beheer.text


def test_teacher_of_one_school_goes_straight_to_the_start_page(sso):
    landing = sso.login(DEMO_TEACHER.basispoort_id)
    assert landing.status_code == 200
    assert landing.url.endswith(f"/school/{school_pk(SCHOOL_A)}/")
    assert "Startpagina" in landing.text and "Groep 5" in landing.text
    assert f"/school/{school_pk(SCHOOL_A)}/beheer/" not in landing.text
    assert sso.get(f"/school/{school_pk(SCHOOL_A)}/beheer/").status_code == 404
    assert sso.get(f"/school/{school_pk(SCHOOL_C)}/").status_code == 404


def test_person_unknown_to_the_roster_gets_a_clear_page(sso):
    landing = sso.login("999999")
    assert landing.status_code == 403
    assert "schooladministratie" in landing.text
    assert "Uitloggen" in landing.text


def test_session_is_rotated_at_login(sso):
    sso.get("/inloggen/")
    sso.session.cookies.set("sessionid", "attacker-chosen-session-id", domain="127.0.0.1")
    sso.login(DEMO_TEACHER.basispoort_id)
    cookie = next(c for c in sso.session.cookies if c.name == "sessionid" and c.domain.startswith("127.0.0.1"))
    assert cookie.value != "attacker-chosen-session-id"
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_safe_next_is_followed_and_open_redirect_is_not(sso):
    target = f"/school/{school_pk(SCHOOL_A)}/beheer/"
    landing = sso.login(DEMO_COORDINATOR.basispoort_id, next_url=target)
    assert landing.url.endswith(target)

    other = type(sso)(app=sso.app, idp=sso.idp)
    landing = other.login(DEMO_COORDINATOR.basispoort_id, next_url="https://evil.example/steal")
    assert landing.url.startswith(sso.app)
    assert all("evil.example" not in hop.headers.get("Location", "") for hop in other.hops)


def test_tampered_state_is_refused(sso):
    redirect = sso.start_login()
    back = sso.authorize(redirect.headers["Location"], DEMO_TEACHER.basispoort_id)
    callback = back.headers["Location"]
    refused = sso.follow(sso.get(with_query(callback, state="forged-state")))
    assert "Inloggen via Basispoort is niet gelukt" in refused.text
    assert sso.get("/scholen/").status_code == 302  # still anonymous


def test_altered_nonce_is_refused(sso):
    redirect = sso.start_login()
    altered = with_query(redirect.headers["Location"], nonce="nonce-of-another-login-attempt-0000000")
    back = sso.authorize(altered, DEMO_TEACHER.basispoort_id)
    refused = sso.follow(sso.get(back.headers["Location"]))
    assert refused.status_code == 400
    assert "Inloggen via Basispoort is niet gelukt" in refused.text
    assert sso.get("/scholen/").status_code == 302


def test_code_without_the_matching_pkce_verifier_is_refused(sso):
    redirect = sso.start_login()
    altered = with_query(redirect.headers["Location"], code_challenge="A" * 43)
    back = sso.authorize(altered, DEMO_TEACHER.basispoort_id)
    refused = sso.follow(sso.get(back.headers["Location"]))
    assert "Inloggen via Basispoort is niet gelukt" in refused.text
    assert sso.get("/scholen/").status_code == 302


@pytest.mark.parametrize("tamper", ["iss", "aud", "key"])
def test_id_token_with_wrong_issuer_audience_or_key_is_refused(
    tamper, settings, tampering_idps, live_server, demo_feed
):

    use_provider(settings, tampering_idps[tamper])
    browser = Browser(app=live_server.url, idp=tampering_idps[tamper])
    landing = browser.login(DEMO_TEACHER.basispoort_id)
    assert "Inloggen via Basispoort is niet gelukt" in landing.text
    assert browser.get("/scholen/").status_code == 302


def test_logout_ends_the_session_here_and_at_the_provider(sso):
    sso.login(DEMO_TEACHER.basispoort_id)
    page = sso.get(f"/school/{school_pk(SCHOOL_A)}/")
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    out = sso.post("/uitloggen/", {"csrfmiddlewaretoken": token})
    assert out.headers["Location"].startswith(sso.idp + "/o/logout/")
    assert "id_token_hint" in query_of(out.headers["Location"])
    final = sso.follow(out)
    assert final.url.startswith(sso.app)
    assert sso.get(f"/school/{school_pk(SCHOOL_A)}/").status_code in (302, 404)
    # The provider's session is gone too: a new login asks who you are again.
    again = sso.get(sso.start_login().headers["Location"])
    assert "/login/" in again.headers["Location"]


def test_logout_requires_post_with_csrf(sso):
    sso.login(DEMO_TEACHER.basispoort_id)
    assert sso.get("/uitloggen/").status_code == 405
    assert sso.post("/uitloggen/", {}).status_code == 403
