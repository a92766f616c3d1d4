"""A change sent after logging out in another tab is not lost in silence (issue #28 point 3).

It used to lead to the login page without a word, and after logging in to a bare 405 (the return
address was the POST-only URL). Now the login page says the change was not made, and logging in
brings the coordinator back to the page the form was on, where nothing has changed.
"""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from licenses.models import GroupLink
from roster.models import School
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _log_in(tab, sso) -> None:
    tab.get_by_role("button", name="Inloggen via Basispoort").click()
    tab.wait_for_url(f"{sso.idp}/login/**")
    tab.get_by_label(DEMO_COORDINATOR.full_name, exact=False).check()
    tab.get_by_role("button", name="Inloggen").click()
    tab.wait_for_url(f"{sso.app}/**")


def test_toevoegen_after_logging_out_in_another_tab_says_it_was_not_done_and_returns(page, sso):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    per_group = f"{sso.app}/school/{school.pk}/beheer/licenties/groep/"
    page.goto(sso.app + "/")
    _log_in(page, sso)
    page.goto(per_group)
    card = page.locator("section.licence", has=page.locator("details.link-form")).first
    card.get_by_text("Koppelen", exact=True).click()
    card.get_by_label("Kies de groep").select_option(index=1)

    other = page.context.new_page()  # the second tab logs out
    other.goto(per_group)
    other.get_by_role("button", name="Uitloggen").click()
    other.wait_for_url(f"{sso.app}/inloggen/")
    other.close()

    links_before = GroupLink.objects.count()
    statuses = []
    page.on("response", lambda response: statuses.append(response.status))
    card.get_by_role("button", name="Toevoegen", exact=True).click()
    page.wait_for_url(f"{sso.app}/inloggen/**")
    assert page.get_by_text("Je was uitgelogd. Wat je net deed, is daarom niet uitgevoerd").is_visible()
    screenshot(page, "uitgelogd-actie-niet-gedaan")

    _log_in(page, sso)
    page.wait_for_load_state("load")
    assert page.url == per_group, "back on the page the form was on"
    assert 405 not in statuses
    assert page.get_by_role("heading", name="Licenties", exact=True).is_visible()
    assert "is gekoppeld aan" not in page.locator("main").inner_text(), "nobody is told it happened"
    assert GroupLink.objects.count() == links_before
