"""In a real browser: a person Basispoort knows but no school lists signs in and sees one clear
message, not a green "Je bent nu ingelogd als 999999" above "Je staat (nog) niet in de
schoolgegevens" (issue 17, point 13)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_unknown_person_sees_only_that_they_are_not_in_the_roster(page, sso):
    page.goto(sso.app + "/")
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    page.wait_for_url(f"{sso.idp}/login/**")
    page.get_by_label("Basispoort-id", exact=True).fill("999999")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{sso.app}/**")
    assert page.get_by_role("heading", name="Je staat (nog) niet in de schoolgegevens").is_visible()
    assert "ingelogd als" not in page.locator("main").inner_text()
    assert page.locator(".message--success").count() == 0
