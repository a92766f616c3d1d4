"""Nieuw schooljaar remembers what the coordinator unticked (issue #28 point 2).

After applying, the proposal left unticked used to come back ticked, so one more press of
"Aangevinkte voorstellen koppelen" linked it. Now it stays unticked, on this visit and the next.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from licenses.models import GroupLink, Licence
from roster.feed import FolderSource
from roster.importer import sync_roster
from roster.models import Group, School
from roster.school_year import next_school_year, school_year_of
from tests.browser import log_in_through_basispoort, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_an_unticked_proposal_stays_unticked_and_one_more_press_does_not_link_it(page, sso, demo_feed):
    sync_roster(FolderSource(f"{demo_feed}-volgend-jaar"), trigger="demo")  # the new group division arrives
    school = School.objects.get(basispoort_id=SCHOOL_A)
    year = next_school_year(school_year_of(timezone.localdate()))
    maths = Licence.objects.get(school=school, school_year=year, product__code="rekenroute-digi")
    unticked = Group.objects.get(school=school, active=True, name="Groep 3")
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)
    page.goto(f"{sso.app}/school/{school.pk}/beheer/licenties/nieuw-schooljaar/")

    card = page.locator(f"#nieuw-{maths.pk}")
    card.get_by_label("Groep 3", exact=False).first.uncheck()
    page.get_by_role("button", name="Aangevinkte voorstellen koppelen").click()
    page.wait_for_url("**/nieuw-schooljaar/")
    assert not GroupLink.objects.filter(licence=maths, group=unticked).exists()

    box = page.locator(f"#nieuw-{maths.pk}").get_by_label("Groep 3", exact=False).first
    assert not box.is_checked(), "the proposal left unticked came back ticked"
    screenshot(page, "nieuw-schooljaar-onthoudt-uitgevinkt")

    page.get_by_role("button", name="Aangevinkte voorstellen koppelen").click()  # one more press
    page.wait_for_url("**/nieuw-schooljaar/")
    assert not GroupLink.objects.filter(licence=maths, group=unticked).exists()

    page.reload()  # and on the next visit
    assert not page.locator(f"#nieuw-{maths.pk}").get_by_label("Groep 3", exact=False).first.is_checked()

    # Ticking it after all and applying links it, and forgets that it was declined.
    page.locator(f"#nieuw-{maths.pk}").get_by_label("Groep 3", exact=False).first.check()
    page.get_by_role("button", name="Aangevinkte voorstellen koppelen").click()
    page.wait_for_url("**/nieuw-schooljaar/")
    assert GroupLink.objects.filter(licence=maths, group=unticked).exists()
