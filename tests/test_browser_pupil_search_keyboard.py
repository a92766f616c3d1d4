"""The Leerlingen tab with the keyboard only, on the demo's names (issue 28, point 9): "zoe"
finds every Zoë, the group filter and the sort are reachable and kept together; and the English
Help names the buttons as they read in English (point 10)."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from roster.models import Group, Pupil, School
from tests.live_login import log_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_search_filter_and_sort_by_keyboard(page, live_server, demo_feed):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    zoes = {p.sort_name for p in Pupil.objects.filter(school=school, active=True, first_name="Zoë")}
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.goto(f"{live_server.url}/school/{school.pk}/beheer/leerlingen/")

    page.get_by_label("Zoek op naam").focus()
    page.keyboard.type("zoe")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=zoe**")
    assert {name.split(" (lln.nr.")[0] for name in page.get_by_role("rowheader").all_inner_texts()} == zoes

    page.get_by_label("Zoek op naam").fill("")
    choice = page.get_by_label("Groep", exact=True)
    options = choice.locator("option").all_inner_texts()
    assert options[1:3] == ["Groep 1/2a", "Groep 1/2b"] and options[-2:] == ["Groep 8", "Plusklas"]
    choice.select_option(label="Groep 8")
    page.get_by_role("button", name="Zoeken").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**groep={Group.objects.get(school=school, name='Groep 8').pk}**")
    groups = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert len(groups) == 25 and set(groups) == {"Groep 8"}, groups

    page.get_by_role("link", name="Jaargroep").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sorteer=jaargroep**")
    assert "groep=" in page.url and "q=" not in page.url, "the filter is kept when sorting, the empty search not"
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Jaargroep")


def test_english_help_names_the_administration_button(page, live_server, demo_feed):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.goto(f"{live_server.url}/school/{school.pk}/")
    page.get_by_role("button", name="English").click()
    button = page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Administration")
    assert button.is_visible()
    page.get_by_role("link", name="Help", exact=True).first.click()
    text = page.locator("main").inner_text()
    assert "Click ‘Administration’" in text and "‘Beheer’" not in text
    page.get_by_role("link", name="Back to De Regenboog").click()
    assert page.url.rstrip("/").endswith(f"/school/{school.pk}")
