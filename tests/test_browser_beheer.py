"""In a real browser: the demo coordinator logs in, opens every tab of "Schoolgegevens en
licenties", and "Details" shows a group's pupils under it; the demo teacher sees their start
page. Screenshots at desktop and tablet width are kept in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER
from roster.models import Pupil
from tests.browser import PHONE, screenshot
from tests.live_login import log_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.live]

TABS = ["Gegevens", "Groepen", "Ict-coördinatoren", "Leerkrachten", "Leerlingen"]
WIDTHS = {"desktop": 1280, "tablet": 768}


def log_in(page, live_server, person) -> None:
    """Sign in as SSO leaves a person (test_browser_login walks the provider itself), then go home."""
    log_in_browser(page, live_server, person.basispoort_id)
    page.goto(live_server.url + "/")


def tabs(page):
    return page.get_by_role("navigation", name="Schoolgegevens en licenties")


def test_coordinator_opens_every_tab_and_group_details(page, live_server, demo_feed):
    log_in(page, live_server, DEMO_COORDINATOR)
    page.wait_for_url(f"{live_server.url}/scholen/")
    page.get_by_role("link", name="De Regenboog").click()
    page.get_by_role("link", name="Beheer").click()
    assert page.get_by_role("heading", name="Beheer", exact=True).is_visible()
    assert page.get_by_text("Nog geen resultaatkoppelingen").is_visible()
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"beheer-home-{width_name}")

    page.get_by_role("link", name="Schoolgegevens en licenties").click()
    for tab in TABS:
        tabs(page).get_by_role("link", name=tab, exact=True).click()
        assert page.get_by_role("heading", name=tab, exact=True, level=1).is_visible()
        assert tabs(page).locator("[aria-current=page]").inner_text() == tab
        read_only = re.compile("gebruikers en groepen (beheer|wijzig) je in het schooladm", re.IGNORECASE)
        assert page.get_by_text(read_only).is_visible()
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"beheer-{tab.lower()}-{width_name}")
        page.set_viewport_size({"width": 1280, "height": 900})

    tabs(page).get_by_role("link", name="Leerlingen", exact=True).click()
    pupil = Pupil.objects.filter(school__name="De Regenboog", active=True).order_by("last_name").last()
    page.get_by_label("Zoek op naam").fill(pupil.last_name)
    page.get_by_role("button", name="Zoeken").click()
    assert page.get_by_role("rowheader", name=pupil.sort_name).first.is_visible()

    tabs(page).get_by_role("link", name="Groepen", exact=True).click()
    groups_url = page.url
    page.get_by_role("link", name="Details Groep 5", exact=True).click()
    heading = page.get_by_role("heading", name="Leerlingen van Groep 5")
    heading.wait_for()
    assert page.url == groups_url, "htmx fills the details in place"
    group_pupils = Pupil.objects.filter(group__name="Groep 5", group__school__name="De Regenboog", active=True)
    group_id = group_pupils[0].group_id
    details = page.locator(f"#groep-{group_id} .pupil-list li")
    assert details.count() == group_pupils.count() == 25
    assert page.get_by_text(group_pupils.order_by("last_name")[0].sort_name).first.is_visible()
    assert page.evaluate("document.activeElement.id") == f"details-{group_id}", "focus stays on the toggle"
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"beheer-groep-details-{width_name}")

    page.set_viewport_size(PHONE)
    screenshot(page, "beheer-groep-details-telefoon")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing sticks out sideways on a phone"
    page.set_viewport_size({"width": 800, "height": 900})
    page.emulate_media(media="print")
    assert not tabs(page).is_visible(), "the tabs are left off paper"
    assert page.get_by_role("heading", name="Leerlingen van Groep 5").is_visible()
    screenshot(page, "beheer-groep-details-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Details verbergen Groep 5").click()
    heading.wait_for(state="detached")
    assert page.get_by_role("link", name="Details Groep 5", exact=True).is_visible()


def test_teacher_sees_the_start_page_without_beheer(page, live_server, demo_feed):
    log_in(page, live_server, DEMO_TEACHER)
    page.wait_for_url(f"{live_server.url}/school/*/")
    assert page.get_by_role("heading", name="Startpagina").is_visible()
    assert page.get_by_role("heading", name="Rekenroute").is_visible()
    assert page.get_by_role("link", name="Beheer").count() == 0
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"startpagina-leerkracht-{width_name}")
    page.set_viewport_size(PHONE)
    screenshot(page, "startpagina-leerkracht-telefoon")
    page.get_by_role("link", name="Help", exact=True).click()
    assert page.get_by_role("heading", name="Contact met de helpdesk").is_visible()
    screenshot(page, "help-telefoon")
