"""In a real browser: a partial export from the school administration is held at De Regenboog and
at Het Kompas. Sanne de Vries (ict-coördinator of both) sees it on Beheer home, opens what would
change, and applies it at De Regenboog; at Het Kompas she discards it. axe-core finds no serious
violation on either page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demo.world import DEMO_COORDINATOR, SCHOOL_A, SCHOOL_B, SCHOOL_C, demo_schools
from roster.feed import FolderSource, write_folder
from roster.importer import sync_roster
from roster.models import HeldNight, HoldDecision, Pupil, School
from tests.axe import blocking_violations
from tests.browser import screenshot
from tests.live_login import log_in_browser
from tests.roster_feed import partial_export

pytestmark = [pytest.mark.browser, pytest.mark.live]


def active(school: School) -> int:
    return Pupil.objects.filter(school=school, active=True).count()


def test_coordinator_applies_one_held_night_and_discards_another(page, live_server, demo_feed, tmp_path):
    a, b, c = demo_schools()
    write_folder(tmp_path / "feed", [partial_export(a), partial_export(b), c])
    sync_roster(FolderSource(tmp_path / "feed"), trigger="test")
    regenboog, kompas = School.objects.get(basispoort_id=SCHOOL_A), School.objects.get(basispoort_id=SCHOOL_B)
    assert set(HeldNight.objects.values_list("school__basispoort_id", flat=True)) == {SCHOOL_A, SCHOOL_B}
    assert not HeldNight.objects.filter(school__basispoort_id=SCHOOL_C).exists()
    before = active(regenboog), active(kompas)

    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.goto(live_server.url + reverse("beheer_home", args=[regenboog.pk]))
    notice = page.get_by_role("region", name="De gegevens van vannacht zijn tegengehouden")
    assert notice.is_visible()
    assert notice.get_by_text("Veel leerlingen zouden vertrekken").is_visible()
    assert page.get_by_text("Deze gegevens zijn tegengehouden: ze zouden veel veranderen.").is_visible()
    screenshot(page, "beheer-tegengehouden")
    assert not blocking_violations(page)
    notice.get_by_role("link", name="Bekijk wat er zou veranderen").click()
    assert page.get_by_role("heading", name="De gegevens van vannacht zijn tegengehouden", level=1).is_visible()
    page.locator("#vertrekkers summary").click()
    leaver = page.locator("#vertrekkers li").first
    assert leaver.is_visible()
    assert page.locator("#vertrekkers li").count() == before[0] - len(partial_export(a).roster["leerlingen"])
    assert page.locator("#verdwijnende-groepen li").count() == 3
    screenshot(page, "tegengehouden-wat-er-zou-veranderen")
    assert not blocking_violations(page)
    page.get_by_role("button", name="Toch verwerken").click()
    assert page.get_by_text("De tegengehouden gegevens zijn toch verwerkt.").is_visible()
    assert not page.get_by_role("region", name="De gegevens van vannacht zijn tegengehouden").count()
    assert active(regenboog) == len(partial_export(a).roster["leerlingen"]) < before[0]
    assert HeldNight.objects.exclude(run=None).get(school=regenboog).decision == HoldDecision.APPLIED

    page.goto(live_server.url + reverse("beheer_home", args=[kompas.pk]))
    page.get_by_role("link", name="Bekijk wat er zou veranderen").click()
    page.get_by_role("button", name="Negeren").click()
    assert page.get_by_text("De tegengehouden gegevens zijn genegeerd").is_visible()
    assert active(kompas) == before[1]
    assert HeldNight.objects.exclude(run=None).get(school=kompas).decision == HoldDecision.DISCARDED
