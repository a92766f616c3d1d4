"""In a real browser the demo coordinator reviews "Nieuw schooljaar", unticks one proposal,
applies, and finds the result under Licenties per groep and per kind of the new year."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from licenses.models import GroupLink, Licence, Seat
from roster.feed import FolderSource
from roster.importer import sync_roster
from roster.models import Group, School
from roster.school_year import next_school_year, school_year_of
from tests.browser import log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_coordinator_reviews_unticks_one_and_applies(page, sso, demo_feed):
    sync_roster(FolderSource(f"{demo_feed}-volgend-jaar"), trigger="demo")  # the new group division arrives
    school = School.objects.get(basispoort_id=SCHOOL_A)
    year = next_school_year(school_year_of(timezone.localdate()))
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.goto(f"{sso.app}/school/{school.pk}/beheer/")
    notice = page.get_by_role("complementary").filter(has_text=f"Nieuw schooljaar {year} voorbereiden")
    assert notice.is_visible()
    notice.get_by_role("link", name="Naar Nieuw schooljaar").click()
    page.wait_for_url("**/nieuw-schooljaar/")
    screenshot(page, "nieuw-schooljaar-voorstellen")

    maths = Licence.objects.get(school=school, school_year=year, product__code="rekenroute-digi")
    card = page.locator(f"#nieuw-{maths.pk}")
    assert card.get_by_label("Groep 4/5").is_checked()
    card.get_by_label("Groep 3", exact=False).first.uncheck()
    unticked = Group.objects.get(school=school, active=True, name="Groep 3")
    ticked_groups = page.locator('input[name="voorstel"][value^="g-"]:checked').count()
    ticked_pupils = page.locator('input[name="voorstel"][value^="p-"]:checked').count()
    assert page.get_by_text("geen plaats meer").first.is_visible()
    page.get_by_role("button", name="Aangevinkte voorstellen koppelen").click()
    page.wait_for_url("**/nieuw-schooljaar/")
    assert page.get_by_text(f"{ticked_groups} groepen en {ticked_pupils} leerlingen gekoppeld.").is_visible()
    screenshot(page, "nieuw-schooljaar-toegepast")
    assert not GroupLink.objects.filter(licence=maths, group=unticked).exists()
    assert GroupLink.objects.filter(licence__school_year=year, school=school).count() == ticked_groups
    assert Seat.objects.filter(licence__school_year=year, school=school).count() == ticked_pupils

    page.get_by_role("link", name="Licenties per groep").click()
    section = page.locator(f"#licentie-{maths.pk}")
    assert year in section.inner_text()
    linked = section.locator("ul.chips li")
    assert "Groep 4/5" in linked.all_inner_texts()[0] or any("Groep 4/5" in t for t in linked.all_inner_texts())
    assert not any(t.startswith("Groep 3 ") for t in linked.all_inner_texts())

    page.get_by_role("link", name="Licenties per kind").click()
    plus = Licence.objects.get(school=school, school_year=year, product__code="rekenroute-plus")
    seats = page.locator(f"#licentie-{plus.pk}")
    assert "0 van 6 beschikbaar" in seats.inner_text()
    assert seats.locator("tbody tr").count() == 6
    screenshot(page, "nieuw-schooljaar-licenties-per-kind")
