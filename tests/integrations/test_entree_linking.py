"""Linking once: an Entree identity nobody knows logs in with Basispoort once (the real dev identity
provider, OpenID Connect) and is then linked; later Entree logins need no Basispoort. The Entree
side is the test's own signing identity provider (tests/saml_idp.py) against a live app."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount

from audit.models import AuditAction, AuditEvent
from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A
from roster.models import School
from tests.saml_idp import (
    ACS_PATH,
    COORDINATOR,
    LOGIN_PATH,
    PUPIL,
    SSO_URL,
    TEACHER,
    UNKNOWN,
    Person,
    authn_request_of,
    posted,
)
from tests.sso import Browser

pytestmark = pytest.mark.live

LINK_PATH = "/accounts/saml/entree/koppelen/"


@pytest.fixture
def entree_live(entree, sso, live_server):
    entree.base = live_server.url
    return entree


def entree_login(browser: Browser, idp, person: Person):
    """Click "Inloggen via Entree", let the identity provider answer for ``person``; the landing page."""
    login_page = browser.get("/inloggen/")
    assert "Inloggen via Entree" in login_page.text and "Inloggen via Basispoort" in login_page.text
    token = browser.csrf("/inloggen/")
    to_idp = browser.post(LOGIN_PATH, {"csrfmiddlewaretoken": token})
    assert to_idp.status_code == 302 and to_idp.headers["Location"].startswith(SSO_URL)
    request_id, query, _root = authn_request_of(to_idp.headers["Location"])
    assert query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" and query["Signature"]
    back = browser.post(ACS_PATH, {"SAMLResponse": posted(idp.respond(person, request_id))})
    return browser.follow(back)


def basispoort_once(browser: Browser, persona_id: int):
    """The link page's "Inloggen via Basispoort": the dev identity provider, then back to the link step."""
    redirect = browser.start_login(next_url=LINK_PATH)
    back = browser.authorize(redirect.headers["Location"], persona_id)
    return browser.follow(browser.get(back.headers["Location"]))


def entree_links(provider_uid: str):
    return list(SocialAccount.objects.filter(provider="entree", uid=provider_uid))


def test_first_entree_login_links_after_basispoort_once_and_later_needs_no_basispoort(sso, entree_live):
    landing = entree_login(sso, entree_live, COORDINATOR)
    assert landing.status_code == 200 and "Eén keer koppelen met Basispoort" in landing.text
    assert entree_links(COORDINATOR.uid) == []

    linked = basispoort_once(sso, DEMO_COORDINATOR.basispoort_id)
    assert linked.url.endswith("/scholen/") and "Je Entree-account is gekoppeld" in linked.text
    [link] = entree_links(COORDINATOR.uid)
    assert SocialAccount.objects.get(user=link.user, provider="basispoort").uid == str(DEMO_COORDINATOR.basispoort_id)
    assert link.user.email == ""
    event = AuditEvent.objects.get(action=AuditAction.ENTREE_LINKED)
    assert event.actor_id == link.user.pk and COORDINATOR.uid not in str(event.after)

    # The next day, another browser: Entree alone, same account, same rights.
    next_day = Browser(app=sso.app, idp=sso.idp)
    landing = entree_login(next_day, entree_live, COORDINATOR)
    assert landing.url.endswith("/scholen/")
    school_a = School.objects.get(basispoort_id=SCHOOL_A)
    assert next_day.get(f"/school/{school_a.pk}/beheer/").status_code == 200

    # The person sees the link and removes it; the next Entree login asks for Basispoort again.
    page = next_day.get("/inloggen/entree/")
    assert "gekoppeld op" in page.text
    token = next_day.csrf("/inloggen/entree/")
    removed = next_day.follow(next_day.post("/inloggen/entree/", {"csrfmiddlewaretoken": token, "link": link.pk}))
    assert "De koppeling met Entree is verwijderd." in removed.text
    assert entree_links(COORDINATOR.uid) == []
    assert AuditEvent.objects.filter(action=AuditAction.ENTREE_UNLINKED, actor_id=link.user.pk).count() == 1
    again = entree_login(Browser(app=sso.app, idp=sso.idp), entree_live, COORDINATOR)
    assert "Eén keer koppelen met Basispoort" in again.text


def test_teacher_links_and_lands_on_the_start_page(sso, entree_live):
    entree_login(sso, entree_live, TEACHER)
    landing = basispoort_once(sso, DEMO_TEACHER.basispoort_id)
    school_a = School.objects.get(basispoort_id=SCHOOL_A)
    assert landing.url.endswith(f"/school/{school_a.pk}/") and "Startpagina" in landing.text
    assert sso.get(f"/school/{school_a.pk}/beheer/").status_code == 404


@pytest.mark.parametrize(
    ("person", "heading"),
    [
        (PUPIL, "Deze omgeving is voor leerkrachten en ict-coördinatoren"),
        (UNKNOWN, "Je school werkt nog niet met Bingel beheer"),
    ],
    ids=["pupil", "unserved-school"],
)
def test_pupil_and_unserved_school_get_the_explaining_page_and_no_account(sso, entree_live, person, heading):
    page = entree_login(sso, entree_live, person)
    assert page.status_code == 403 and heading in page.text
    assert entree_links(person.uid) == []
    assert sso.get("/").headers["Location"].startswith("/inloggen/")


def test_basispoort_person_without_an_appointment_at_the_entree_school_is_not_linked(sso, entree_live):
    """Mark's Entree account says Het Kompas (12AB01), where the roster gives him no appointment."""
    elsewhere = Person("entree-uid-mark-kompas", "Mark", "Jansen", ("employee",), "12AB", "12AB01")
    entree_login(sso, entree_live, elsewhere)
    page = basispoort_once(sso, DEMO_TEACHER.basispoort_id)
    assert page.status_code == 403 and "Je werkt volgens de schoolgegevens niet op deze school" in page.text
    assert entree_links(elsewhere.uid) == []
    assert not AuditEvent.objects.filter(action=AuditAction.ENTREE_LINKED).exists()
