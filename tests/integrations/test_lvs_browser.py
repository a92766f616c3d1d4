"""In a real browser: the demo coordinator adds a Momento link with a key and sees its status
change from "Wordt gecontroleerd…" to "Actief" when the key check (a Celery task) has run."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from demo.world import DEMO_COORDINATOR
from integrations import tasks
from integrations.models import LinkStatus, ResultLink
from roster.models import School, Staff
from tests.browser import screenshot
from tests.factories import login_as
from tests.lvs_helpers import LVS_KEY, make_supplier

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_coordinator_adds_a_momento_link_and_sees_it_active(page, live_server, demo_feed, reference_lvs):
    make_supplier("Momento", reference_lvs[1])
    make_supplier("ParnasSys", reference_lvs[1])
    school = School.objects.get(name="De Regenboog")
    # Signed in the way single sign-on leaves the session (the SSO flow itself is tested in
    # test_browser_login.py); this test is about the result link screen.
    client = login_as(Client(), Staff.objects.get(basispoort_id=DEMO_COORDINATOR.basispoort_id))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    app = live_server.url

    page.goto(f"{app}/school/{school.pk}/beheer/resultaatkoppelingen/")
    assert page.get_by_role("heading", name="Resultaatkoppelingen").is_visible()
    page.get_by_role("link", name="Koppeling toevoegen").click()
    page.get_by_label("Leerlingvolgsysteem").select_option(label="Momento")
    page.get_by_label("Autorisatiesleutel").fill(LVS_KEY)
    screenshot(page, "lvs-koppeling-toevoegen")
    page.get_by_role("button", name="Opslaan").click()

    page.wait_for_url(f"{app}/school/{school.pk}/beheer/resultaatkoppelingen/?sleutel=*")
    row = page.get_by_role("row", name="Momento")
    assert row.get_by_text("Wordt gecontroleerd…").is_visible()
    # The worker's part, run here: the page was served without waiting for the supplier.
    tasks.check_key(ResultLink.objects.get(school=school).pk)
    row.get_by_text("Actief").wait_for(timeout=15_000)  # the status cell polls every 2 s
    assert row.get_by_text("Actief").is_visible()
    assert "••••" + LVS_KEY[-4:] in row.inner_text()
    assert page.get_by_text("De leverancier heeft de sleutel geaccepteerd").is_visible()
    assert LVS_KEY not in page.content()
    shot = screenshot(page, "lvs-koppeling-actief")
    assert shot.stat().st_size > 5000
    link = ResultLink.objects.get(school=school)
    assert link.status == LinkStatus.ACTIVE and link.consent_by_name == DEMO_COORDINATOR.full_name
