"""In a real browser the demo coordinator links a licence to a group, links a child, and unlinks it."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from licenses.models import GroupLink, Seat
from roster.models import School
from tests.browser import log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_coordinator_links_group_and_child_then_unlinks_the_child(page, sso):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    links_before, seats_before = GroupLink.objects.count(), Seat.objects.count()
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)

    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/groep/")
    section = page.locator("section.licence", has=page.locator("details.link-form")).first
    section.get_by_text("Koppelen", exact=True).click()
    section.get_by_label("Kies de groep").select_option(index=1)  # 0 is "— kies een groep —"
    section.get_by_role("button", name="Toevoegen", exact=True).click()
    assert page.get_by_text("is gekoppeld aan").is_visible()
    assert page.get_by_text("lopende lesweek").first.is_visible()
    screenshot(page, "licenties-per-groep")
    assert GroupLink.objects.count() == links_before + 1

    page.get_by_role("link", name="Licenties per kind").click()
    page.wait_for_url("**/licenties/kind/")
    page.locator("section.licence").first.locator("a.button", has_text="Koppelen").click()
    page.wait_for_load_state("load")  # htmx is a deferred script
    page.get_by_label("1. Kies de groep van het kind").select_option(label="Groep 6")
    child = page.get_by_label("2. Kies het kind uit Groep 6")  # loaded by htmx, no page reload
    child.wait_for()
    chosen = child.locator("option").first.inner_text()
    page.get_by_role("button", name="Toevoegen").click()
    assert page.get_by_text("is gekoppeld aan").is_visible()
    screenshot(page, "licenties-per-kind-koppelen")
    assert Seat.objects.count() == seats_before + 1

    page.get_by_role("link", name="Terug naar Licenties per kind").click()
    surname = chosen.split(",")[0]
    row = page.locator("tr", has_text=surname).filter(has_text="Groep 6").first
    row.get_by_role("link", name="Ontkoppelen").click()
    page.get_by_role("button", name="Ja, ontkoppelen").click()
    assert page.get_by_text("is ontkoppeld van").is_visible()
    screenshot(page, "licenties-per-kind")
    assert Seat.objects.count() == seats_before
