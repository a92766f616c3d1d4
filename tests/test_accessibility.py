"""axe-core (from npm, see package.json) audits every Beheer page, the start page and Help in
Chromium: no serious or critical violations, at desktop and at tablet width."""

from __future__ import annotations

import pytest
from django.urls import reverse

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A
from roster.models import Group, School
from tests.live_login import log_in_browser
from tests.servers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.live]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
WIDTHS = {"desktop": 1280, "tablet": 768}


def blocking_violations(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (make test does it) to install it from package-lock.json.")
    # Evaluated through the DevTools protocol: a <script> tag would be refused by the page's CSP.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} — {[node['target'] for node in rule['nodes']][:3]}"
        for rule in result["violations"]
        if rule["impact"] in BLOCKING
    ]


def audit(page, url: str) -> dict[str, list[str]]:
    found = {}
    for width_name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(url)
        assert response.status == 200, url
        violations = blocking_violations(page)
        if violations:
            found[f"{url} @ {width_name}"] = violations
    return found


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
