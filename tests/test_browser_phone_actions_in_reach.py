"""On a 390 px phone (issue 28, point 7): every action of a row is on the screen, not behind a
table that scrolls without a sign — the teacher's "Leerlingen en inlogcodes", a result link's
"Sleutel wijzigen" and "Verwijderen" —, the filled Logboek fits, and "Ontkoppelen" and
"Resultaatkoppelingen" are never broken in the middle of the word."""

from __future__ import annotations

import pytest

from tests.browser import PHONE, screenshot
from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def lines_of(locator) -> int:
    """On how many lines the element's first text is laid out (a word broken in two takes two)."""
    return locator.evaluate(
        """el => { const text = [...el.childNodes].find(n => n.nodeType === Node.TEXT_NODE);
                   const r = document.createRange(); r.selectNodeContents(text);
                   return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"""
    )


def test_the_teachers_only_action_is_on_screen(page, live_server, walk):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, walk.teacher)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/")
    screenshot(page, "phone-teacher-start")
    assert on_screen(page.get_by_role("link", name="Leerlingen en inlogcodes Groep 8"))


def test_result_link_actions_are_on_screen(page, live_server, walk):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/resultaatkoppelingen/")
    screenshot(page, "phone-result-links")
    for name in ("Sleutel wijzigen", "Verwijderen"):
        assert on_screen(page.get_by_role("link", name=name)), name
    assert lines_of(page.get_by_role("heading", name="Resultaatkoppelingen", level=1)) == 1


def test_the_filled_logbook_fits_and_unlinking_reads_whole(page, live_server, walk):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/licenties/logboek/")
    screenshot(page, "phone-logbook")
    assert page.locator("tbody tr").count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert page.get_by_text("Sanne de Vries (Basispoort 200001)").first.is_visible()

    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/licenties/kind/")
    unlink = page.locator("a", has_text="Ontkoppelen").first
    assert on_screen(unlink) and lines_of(unlink) == 1
