"""Entree in a real browser against SimpleSAMLphp (Debian's package, run by tests/simplesamlphp.py as
its own ``php -S`` process) and Basispoort's dev identity provider: first Entree login, Basispoort
once, linked, Beheer; the next day Entree alone; teacher to the start page; pupil and unknown
person to the explaining page; logout ends our session and SimpleSAMLphp's."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER
from roster.models import School
from tests.browser import screenshot
from tests.saml_idp import use_entree
from tests.simplesamlphp import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def entree_sso(sso, settings, simplesamlphp, entree_keys, tmp_path):
    """The app configured as in production: the federation metadata as SimpleSAMLphp serves it."""
    metadata = tmp_path / "simplesamlphp-metadata.xml"
    metadata.write_text(simplesamlphp.metadata())
    use_entree(settings, entree_keys, metadata, idp_entity_id=simplesamlphp.entity_id)
    sso.saml = simplesamlphp
    return sso


def entree_log_in(page, sso, login: str) -> None:
    page.goto(sso.app + "/inloggen/")
    page.get_by_role("button", name="Inloggen via Entree").click()
    page.wait_for_url(f"{sso.saml.base_url}/**")
    page.locator('input[name="username"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(f"{sso.app}/**")


def basispoort_once(page, sso, person) -> None:
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    page.wait_for_url(f"{sso.idp}/login/**")
    page.get_by_label(person.full_name, exact=False).check()
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{sso.app}/**")


def test_coordinator_links_once_then_entree_alone_the_next_day_and_logs_out(page, entree_sso):
    entree_log_in(page, entree_sso, "sanne")
    assert page.get_by_role("heading", name="Eén keer koppelen met Basispoort").is_visible()
    basispoort_once(page, entree_sso, DEMO_COORDINATOR)
    page.wait_for_url(f"{entree_sso.app}/scholen/")
    assert page.get_by_text("Je Entree-account is gekoppeld").is_visible()
    screenshot(page, "entree-linked")
    user = SocialAccount.objects.get(provider="entree").user
    assert SocialAccount.objects.get(user=user, provider="basispoort").uid == str(DEMO_COORDINATOR.basispoort_id)

    # The next day: a new browser context, SimpleSAMLphp asks who you are, no Basispoort.
    browser = page.context.browser
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    next_day = context.new_page()
    entree_log_in(next_day, entree_sso, "sanne")
    next_day.wait_for_url(f"{entree_sso.app}/scholen/")
    assert DEMO_COORDINATOR.full_name in next_day.locator("header").inner_text()
    next_day.get_by_role("link", name="De Regenboog").click()
    next_day.get_by_role("link", name="Beheer").click()
    assert next_day.get_by_role("heading", name="Beheer", exact=True).is_visible()

    # Logout ends our session and, through single logout, SimpleSAMLphp's.
    next_day.locator("header").get_by_role("button", name="Uitloggen").click()
    next_day.wait_for_url(f"{entree_sso.app}/inloggen/")
    next_day.goto(entree_sso.app + "/scholen/")
    assert next_day.url.startswith(f"{entree_sso.app}/inloggen/")
    next_day.get_by_role("button", name="Inloggen via Entree").click()
    next_day.wait_for_url(f"{entree_sso.saml.base_url}/**")
    assert next_day.locator('input[name="username"]').is_visible()
    context.close()


def test_teacher_links_and_reaches_the_start_page(page, entree_sso):
    entree_log_in(page, entree_sso, "mark")
    basispoort_once(page, entree_sso, DEMO_TEACHER)
    school = School.objects.get(name="De Regenboog")
    page.wait_for_url(f"{entree_sso.app}/school/{school.pk}/")
    assert page.get_by_text(f"Welkom, {DEMO_TEACHER.full_name}").is_visible()
    assert page.get_by_role("link", name="Beheer").count() == 0


@pytest.mark.parametrize(
    ("login", "heading"),
    [
        ("emma", "Deze omgeving is voor leerkrachten en ict-coördinatoren"),
        ("onbekend", "Je school werkt nog niet met Bingel beheer"),
    ],
    ids=["pupil", "unknown"],
)
def test_pupil_and_unknown_person_get_the_explaining_page(page, entree_sso, login, heading):
    entree_log_in(page, entree_sso, login)
    assert page.get_by_role("heading", name=heading).is_visible()
    assert not SocialAccount.objects.filter(provider="entree").exists()
    screenshot(page, f"entree-{login}")


def test_logout_started_at_simplesamlphp_ends_our_session(page, entree_sso):
    """Single logout the other way round: SimpleSAMLphp sends its signed LogoutRequest to our SLS."""
    entree_log_in(page, entree_sso, "mark")
    basispoort_once(page, entree_sso, DEMO_TEACHER)
    school = School.objects.get(name="De Regenboog")
    page.wait_for_url(f"{entree_sso.app}/school/{school.pk}/")
    page.goto(f"{entree_sso.saml.base_url}/saml2/idp/SingleLogoutService.php?ReturnTo={entree_sso.app}/inloggen/")
    page.wait_for_url(f"{entree_sso.app}/inloggen/")
    page.goto(f"{entree_sso.app}/school/{school.pk}/")
    assert page.url.startswith(f"{entree_sso.app}/inloggen/")
