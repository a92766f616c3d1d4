"""Smaller things a coordinator trips over (issue 28, point 12), in a real browser: a group's
name opens its details (not its codes); the page that gives a whole group new codes chooses no
method beforehand, so one Enter changes nothing, and its button looks destructive; the "Let op!"
callout is shown once; logging out says so."""

from __future__ import annotations

import pytest

from roster.models import PupilLoginCode
from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_group_name_opens_its_details(page, live_server, walk):
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/groepen/")
    assert page.get_by_text("Let op!").count() == 0
    names = page.locator("table.groups tbody > tr:first-child > th").all_inner_texts()
    assert names == ["Groep 1/2a", "Groep 4", "Groep 8"]
    page.get_by_role("link", name="Groep 8", exact=True).click()
    page.locator(".pupil-list li").first.wait_for()
    assert "Bakker, Milan (lln.nr. …1104)" in page.locator(".pupil-list li").all_inner_texts()
    assert "/inlogcodes/" not in page.url
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/gegevens/")
    assert page.get_by_text("Let op!").count() == 1


def test_one_enter_on_the_new_codes_page_changes_nothing(page, live_server, walk):
    before = sorted(PupilLoginCode.objects.filter(pupil__group=walk.group_8).values_list("pk", "code_fingerprint"))
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/methode/")
    assert page.get_by_role("heading", name="Wijzig login methode voor de groep").is_visible()
    assert page.locator("legend").inner_text() == "Nieuwe login methode"
    assert page.locator("input[name=method]:checked").count() == 0
    button = page.get_by_role("button", name="Ja, geef de groep nieuwe codes")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(179, 38, 30)"  # --bad
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith("/inlogcodes/methode/")
    after = sorted(PupilLoginCode.objects.filter(pupil__group=walk.group_8).values_list("pk", "code_fingerprint"))
    assert after == before


def test_logging_out_says_so(page, live_server, walk):
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/")
    page.get_by_role("button", name="Uitloggen").click()
    assert page.get_by_text("Je bent uitgelogd.").is_visible()
