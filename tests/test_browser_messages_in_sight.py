"""Messages in sight (issue #28 point 6).

After linking or unlinking a group the page used to jump to the card while the message sat above
the fold, and focus dropped to the page. Now the message is in the card, in view, and has the
focus; keyboard only, at 1280 and 390 px. Beheer home's warnings link to the card where each is
fixed.
"""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from roster.models import School
from tests.browser import log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _focused_message_in_view(page) -> str:
    """The text of the focused element, after checking it is a message inside the viewport."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body || !el.closest('section.licence')) return '';
            const box = el.getBoundingClientRect();
            if (box.top < 0 || box.bottom > window.innerHeight) return 'out of view: ' + el.textContent;
            return el.textContent;
        }"""
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_link_and_unlink_by_keyboard_the_message_has_the_focus_in_the_card(page, sso, width):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    page.set_viewport_size({"width": width, "height": 800})
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/groep/")
    # A card far down the page: the last one that can still be linked.
    card = page.locator("section.licence", has=page.locator("details.link-form")).last
    card_id = card.get_attribute("id")
    card.locator("summary").focus()
    page.keyboard.press("Enter")  # opens "Koppelen"
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first group
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Toevoegen"
    page.wait_for_load_state("load")
    page.locator(f"#{card_id} .card-message").wait_for()
    said = _focused_message_in_view(page)
    assert "is gekoppeld aan" in said, said
    screenshot(page, f"melding-in-de-kaart-{width}")

    page.locator(f"#{card_id} a.chip-action").first.focus()
    page.keyboard.press("Enter")  # "Ontkoppelen" asks first
    page.get_by_role("button", name="Ja, ontkoppelen").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    page.locator(f"#{card_id} .card-message").wait_for()
    said = _focused_message_in_view(page)
    assert "is ontkoppeld van" in said, said


def test_beheer_home_warnings_link_to_the_card_where_they_are_fixed(page, sso):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.goto(f"{sso.app}/school/{school.pk}/beheer/")
    warnings = page.locator("section.notice--warning li a")
    assert warnings.count() >= 2
    text = warnings.first.inner_text()
    assert "(schooljaar " in text, "each warning says which school year it is about"
    warnings.first.click()
    page.wait_for_load_state("load")
    target = page.url.split("#", 1)[1]
    card = page.locator(f"#{target}")
    assert card.is_visible()
    product = text.split(" (schooljaar ")[0]
    assert product.split(" (Basis")[0] in card.locator("h3").inner_text()
