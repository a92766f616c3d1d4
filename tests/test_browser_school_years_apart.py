"""Licenties per groep and per kind list this school year's and next year's licences apart
(issue #28 point 4): a heading per school year, this year first, and every card a region whose
name says its year, in Dutch and English, also at 390 px without sideways scrolling."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from roster.models import School
from roster.school_year import next_school_year, school_year_of
from tests.browser import PHONE, log_in_through_basispoort, no_sideways_scroll, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

HEADINGS = {
    "nl": ("Dit schooljaar: {this}", "Volgend schooljaar: {next}"),
    "en": ("This school year: {this}", "Next school year: {next}"),
}


def _check_page(page, language: str, this: str, following: str) -> None:
    now, later = (text.format(this=this, next=following) for text in HEADINGS[language])
    headings = page.locator("main h2.school-year").all_inner_texts()
    assert headings == [now, later], headings
    # Every card sits under its own year's heading: the cards between the two headings are this year's.
    cards = page.locator("main section.licence")
    years = cards.evaluate_all(
        """cards => cards.map(card => {
            let el = card.previousElementSibling;
            while (el && !el.matches('h2.school-year')) el = el.previousElementSibling;
            return [el ? el.textContent : '', card.querySelector('dl, .seat-count').textContent];
        })"""
    )
    assert years
    for heading, shown in years:
        assert heading.split(": ", 1)[1] in shown, f"a card of another year under {heading!r}"
    names = [region.get_attribute("aria-labelledby") for region in cards.all()]
    labels = [page.locator(f"#{name}").text_content().strip() for name in names]
    assert len(set(labels)) == len(labels), "two regions with one name"
    assert any(re.search(re.escape(following) + r"$", label) for label in labels)


@pytest.mark.parametrize("tab", ["groep", "kind"])
def test_each_school_year_has_its_own_heading_and_region_names(page, sso, tab):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    this = school_year_of(timezone.localdate())
    following = next_school_year(this)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/{tab}/")
    _check_page(page, "nl", this, following)
    assert page.get_by_role("region", name=re.compile(re.escape(following))).count() > 0

    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    screenshot(page, f"licenties-per-{tab}-twee-schooljaren-390")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    _check_page(page, "en", this, following)
    assert no_sideways_scroll(page)
