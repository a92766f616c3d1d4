"""In a real browser the coordinator opens a group's codes, switches the method and prints the cards."""

from __future__ import annotations

import re

import pytest

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from roster.models import School
from tests.browser import ARTIFACTS, log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_switch_method_change_a_code_and_print_the_cards(page, sso):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    group = school.groups.get(name="Groep 6")
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)

    page.goto(f"{sso.app}/school/{school.pk}/groepen/{group.pk}/inlogcodes/")
    page.get_by_role("link", name="Wijzig login methode voor de groep").click()
    page.get_by_label("Cijfercode").check()
    page.get_by_role("button", name="Ja, geef de groep nieuwe codes").click()
    assert page.get_by_text("leerlingen hebben een nieuwe code").is_visible()
    codes = page.locator(".number-code").all_inner_texts()
    assert len(codes) == 25 and all(re.fullmatch(r"\d{4}", c) for c in codes)

    page.locator("tr").nth(1).get_by_role("link", name="Wachtwoord/leerlingplaatje wijzigen").click()
    page.get_by_label("Cijfercode (4 tot 6 cijfers)").fill(codes[2])
    page.get_by_role("button", name="Eigen code opslaan").click()
    assert page.get_by_role("alert").inner_text().startswith("Een andere leerling")
    page.get_by_label("Cijfercode (4 tot 6 cijfers)").fill("975310")
    page.get_by_role("button", name="Eigen code opslaan").click()
    assert page.get_by_text("975310").is_visible()
    screenshot(page, "inlogcodes-groep")

    page.get_by_role("link", name="Printversie").click()
    screenshot(page, "inlogcodes-print")
    pdf = ARTIFACTS / "inlogcodes-print.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
    assert pages == 4, "25 cards at 8 per A4 page, none split"
