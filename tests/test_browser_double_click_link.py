"""Two quick clicks on "Toevoegen" (60 ms and 150 ms apart) link once and say what is true.

Issue #28 point 1: the second click used to post again, and the only message shown was
"… was al gekoppeld; er is niets veranderd" although the first click had just linked it. Now the
form sends once (static/js/submit-once.js), and a second request that does arrive (no
JavaScript) says how things stand: "… is gekoppeld aan …".
"""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from licenses.models import GroupLink, Seat
from roster.models import School
from tests.browser import double_click, log_in_through_basispoort, posts_to, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

UNTRUE = "niets veranderd"


def _link_a_group_with_a_double_click(page, sso, school, gap_ms: int) -> None:
    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/groep/")
    card = page.locator("section.licence", has=page.locator("details.link-form")).first
    card.get_by_text("Koppelen", exact=True).click()
    card.get_by_label("Kies de groep").select_option(index=1)  # 0 is "— kies een groep —"
    double_click(page, card.get_by_role("button", name="Toevoegen", exact=True), gap_ms)
    page.wait_for_load_state("load")
    page.get_by_text("is gekoppeld aan").first.wait_for()
    page.get_by_text("is gekoppeld aan").first.wait_for()


@pytest.mark.parametrize("gap_ms", [60, 150])
def test_a_double_click_links_one_group_once_and_says_it_is_linked(page, sso, gap_ms):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    sent = posts_to(page, "/koppelen/")
    links_before = GroupLink.objects.count()

    _link_a_group_with_a_double_click(page, sso, school, gap_ms)

    assert len(sent) == 1, f"the form was sent {len(sent)} times"
    assert GroupLink.objects.count() == links_before + 1
    assert UNTRUE not in page.locator("main").inner_text()
    screenshot(page, f"dubbelklik-groep-{gap_ms}")


@pytest.mark.parametrize("gap_ms", [60, 150])
def test_a_double_click_assigns_one_child_once_and_says_it_is_linked(page, sso, gap_ms):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    sent = posts_to(page, "/koppelen/")
    seats_before = Seat.objects.count()

    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/kind/")
    page.locator("section.licence").first.locator("a.button", has_text="Koppelen").click()
    page.wait_for_load_state("load")  # htmx is a deferred script
    page.get_by_label("1. Kies de groep van het kind").select_option(label="Groep 6")
    page.get_by_label("2. Kies het kind uit Groep 6").wait_for()
    double_click(page, page.get_by_role("button", name="Toevoegen"), gap_ms)
    page.wait_for_load_state("load")
    page.get_by_text("is gekoppeld aan").first.wait_for()

    assert len(sent) == 1, f"the form was sent {len(sent)} times"
    assert Seat.objects.count() == seats_before + 1
    assert UNTRUE not in page.locator("main").inner_text()


def test_without_javascript_a_second_request_is_harmless_and_truthful(page, sso):
    """No script stops the second click: the server links once and both answers say it is linked."""
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    context = page.context.browser.new_context(
        java_script_enabled=False,
        locale="nl-NL",
        viewport={"width": 1280, "height": 800},
        storage_state=page.context.storage_state(),
    )
    try:
        plain = context.new_page()
        links_before = GroupLink.objects.count()
        plain.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/groep/")
        card = plain.locator("section.licence", has=plain.locator("details.link-form")).first
        card.get_by_text("Koppelen", exact=True).click()
        card.get_by_label("Kies de groep").select_option(index=1)
        double_click(plain, card.get_by_role("button", name="Toevoegen", exact=True), 60)
        plain.wait_for_load_state("load")
        plain.get_by_text("is gekoppeld aan").first.wait_for()
        assert GroupLink.objects.count() == links_before + 1
        assert UNTRUE not in plain.locator("main").inner_text()
    finally:
        context.close()
