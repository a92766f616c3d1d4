"""In a real browser, against a provider implementation that is not ours: panva's oidc-provider
(OpenID Certified, from npm) as its own process, with its default claim behaviour. The
coordinator, a teacher and a person the roster does not know log in through its own login and
consent pages; logout ends the session here and, through RP-initiated logout, at the provider."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER
from roster.models import School
from tests.browser import screenshot
from tests.certified_idp import PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.live]


def log_in(page, sso, sub: str) -> None:
    page.goto(sso.app + "/")
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    page.wait_for_url(f"{sso.idp}/interaction/**")
    page.locator('input[name="login"]').fill(sub)
    page.locator('input[name="password"]').fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the provider's consent page
    page.wait_for_url(f"{sso.app}/**")


def log_out(page, sso) -> None:
    page.locator("header").get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{sso.idp}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{sso.app}/inloggen/")


def test_coordinator_logs_in_and_out(page, certified_sso):
    log_in(page, certified_sso, PEOPLE["coordinator"].sub)
    page.wait_for_url(f"{certified_sso.app}/scholen/")
    header = page.locator("header").inner_text()
    assert DEMO_COORDINATOR.full_name in header and "user" not in header
    assert page.get_by_text(f"Je bent nu ingelogd als {DEMO_COORDINATOR.full_name}.").is_visible()
    screenshot(page, "certified-provider-coordinator")
    page.get_by_role("link", name="De Regenboog").click()
    page.get_by_role("link", name="Beheer").click()
    assert page.get_by_role("heading", name="Beheer", exact=True).is_visible()

    log_out(page, certified_sso)
    page.goto(certified_sso.app + "/scholen/")
    assert page.url.startswith(f"{certified_sso.app}/inloggen/")
    # The provider's session ended too: logging in again asks who you are.
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    page.wait_for_url(f"{certified_sso.idp}/interaction/**")
    assert page.locator('input[name="login"]').is_visible()


def test_teacher_logs_in_to_the_start_page_and_out(page, certified_sso):
    log_in(page, certified_sso, PEOPLE["teacher"].sub)
    school = School.objects.get(name="De Regenboog")
    page.wait_for_url(f"{certified_sso.app}/school/{school.pk}/")
    assert page.get_by_text(f"Welkom, {DEMO_TEACHER.full_name}").is_visible()
    assert DEMO_TEACHER.full_name in page.locator("header").inner_text()
    assert page.get_by_role("link", name="Beheer").count() == 0
    log_out(page, certified_sso)


def test_unknown_person_gets_the_not_in_roster_page_and_can_log_out(page, certified_sso):
    log_in(page, certified_sso, PEOPLE["unknown"].sub)
    assert page.get_by_text("schooladministratie").first.is_visible()
    assert "Iemand Anders" not in page.content()
    screenshot(page, "certified-provider-unknown")
    log_out(page, certified_sso)
