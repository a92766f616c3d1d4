"""axe-core (from npm, see package.json) audits every Beheer page, the start page and Help in
Chromium: no serious or critical violations, at desktop and at tablet width."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A
from roster.models import Group, School
from tests.axe import audit, blocking_violations
from tests.live_login import log_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_every_beheer_page_has_no_serious_violations(page, live_server, demo_feed):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    group = Group.objects.get(school=school, name="Groep 5")
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    urls = [
        reverse(name, kwargs={"school_id": school.pk})
        for name in (
            "beheer_home",
            "beheer_gegevens",
            "beheer_groepen",
            "beheer_coordinatoren",
            "beheer_leerkrachten",
            "beheer_leerlingen",
            "licences_per_group",
            "licences_per_pupil",
            "audit_log",
            "resultlinks",
            "resultlink_add",
        )
    ]
    pupil = group.pupils.filter(active=True).order_by("pk").first()
    urls += [
        reverse(name, kwargs={"school_id": school.pk, "group_id": group.pk})
        for name in ("group_login_codes", "group_login_method")
    ]
    urls.append(
        reverse("pupil_login_code", kwargs={"school_id": school.pk, "group_id": group.pk, "pupil_id": pupil.pk})
    )
    urls += [
        reverse("beheer_groep", kwargs={"school_id": school.pk, "group_id": group.pk}),
        reverse("beheer_leerlingen", kwargs={"school_id": school.pk}) + "?q=de&pagina=2",
        reverse("beheer_leerlingen", kwargs={"school_id": school.pk}) + "?q=niemand",
        reverse("school_start", kwargs={"school_id": school.pk}),
        reverse("help"),
    ]
    found = {}
    for url in urls:
        found.update(audit(page, live_server.url + url))
    assert not found, found


def test_groups_page_after_opening_details_has_no_serious_violations(page, live_server, demo_feed):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_browser(page, live_server, DEMO_COORDINATOR.basispoort_id)
    page.goto(live_server.url + reverse("beheer_groepen", kwargs={"school_id": school.pk}))
    page.get_by_role("link", name="Details Groep 5", exact=True).click()
    page.get_by_role("heading", name="Leerlingen van Groep 5").wait_for()
    assert not blocking_violations(page)


def test_teacher_start_page_and_help_have_no_serious_violations(page, live_server, demo_feed):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_browser(page, live_server, DEMO_TEACHER.basispoort_id)
    found = audit(page, live_server.url + reverse("school_start", kwargs={"school_id": school.pk}))
    found.update(audit(page, live_server.url + reverse("help")))
    assert not found, found


def test_the_audit_does_report_a_serious_violation(page):
    page.set_content('<html lang="nl"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>')
    assert any(v.startswith("image-alt") for v in blocking_violations(page))
