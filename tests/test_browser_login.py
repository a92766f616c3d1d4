"""In a real browser: the demo coordinator logs in through the dev provider, picks a school, opens Beheer."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR
from tests.browser import log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_coordinator_logs_in_chooses_a_school_and_lands_on_beheer(page, sso):
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.wait_for_url(f"{sso.app}/scholen/")
    assert page.get_by_role("heading", name="Kies je school").is_visible()
    screenshot(page, "login-kies-je-school")
    page.get_by_role("link", name="De Regenboog").click()

    page.get_by_role("link", name="Beheer").click()
    assert page.get_by_role("heading", name="Beheer", exact=True).is_visible()
    assert "De Regenboog" in page.locator("header").inner_text()
    shot = screenshot(page, "login-beheer")
    assert shot.stat().st_size > 5000

    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{sso.app}/inloggen/")
    assert page.get_by_role("button", name="Inloggen via Basispoort").is_visible()
