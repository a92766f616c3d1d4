""" "Mijn scholen" in Chromium for Sanne de Vries of the demo world: axe-core clean, no sideways
scroll at 390 px, the pictures drawn without breaking the CSP, in Dutch and English, and on an A4
page when printed. Every page served here is also checked by the Nu Html Checker (tests/browser.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demo.world import DEMO_COORDINATOR
from tests.axe import audit
from tests.browser import PHONE, overflow
from tests.live_login import log_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.live]

# A4 minus 15 mm margins on each side (the print stylesheet's @page), in CSS pixels.
A4_PRINT_WIDTH = round((210 - 30) / 25.4 * 96)


def test_axe_finds_nothing_serious(page, live_server, demo_feed):
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    found = audit(page, live_server.url + reverse("my_schools"))
    found.update(audit(page, live_server.url + reverse("choose_school")))
    assert not found, found


def test_the_pictures_and_their_text_at_a_phones_width(page, live_server, demo_feed):
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("my_schools"))
    assert overflow(page) == 0
    cards = page.locator(".my-school")
    assert cards.count() == 2
    # Het Kompas needs the most, so it comes first; its night strip has 30 marks and a text.
    first = cards.nth(0)
    assert "Het Kompas" in first.locator("h2").inner_text()
    assert first.locator("svg.nights > rect").count() == 30
    assert "mislukt" in first.locator(".picture-text").first.inner_text()
    assert first.locator("svg.nights").get_attribute("aria-hidden") == "true"
    assert first.locator("svg.meter").count() == 1
    assert first.locator(".attention-list a").count() >= 3
    page.goto(live_server.url + reverse("choose_school"))
    assert overflow(page) == 0
    assert page.locator(".attention-count").count() == 2


def test_in_english(page, live_server, demo_feed):
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.goto(live_server.url + reverse("my_schools"))
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="My schools", level=1).wait_for()
    assert "points need attention" in page.content()
    assert "Download licence use" in page.content()


def test_it_prints_on_a4_without_cutting_off(page, live_server, demo_feed):
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.set_viewport_size({"width": A4_PRINT_WIDTH, "height": 1000})
    page.goto(live_server.url + reverse("my_schools"))
    page.emulate_media(media="print")
    assert overflow(page) == 0
    assert page.locator(".downloads").first.is_hidden()
    assert page.locator("svg.nights").first.is_visible()
    assert page.pdf(format="A4")[:4] == b"%PDF"
