"""A refused LVS key is not kept as a link unless the coordinator chooses so (issue #28 point 1).

It used to be saved as a link while the message said the key was being checked and the row
already said "Sleutel geweigerd". Now the message only says the key was sent for checking, the
status cell shows the supplier's answer, and a refused new key is not kept: the page says so.
Ticking "Bewaar de koppeling ook als de leverancier de sleutel weigert" keeps it.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from demo.world import DEMO_COORDINATOR
from integrations import tasks
from integrations.models import LinkStatus, ResultLink
from roster.models import School, Staff
from tests.browser import PHONE, no_sideways_scroll, screenshot
from tests.factories import login_as
from tests.lvs_helpers import OTHER_KEY, make_supplier

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _signed_in(page, live_server) -> None:
    client = login_as(Client(), Staff.objects.get(basispoort_id=DEMO_COORDINATOR.basispoort_id))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _add(page, app, school, keep: bool) -> None:
    page.goto(f"{app}/school/{school.pk}/beheer/resultaatkoppelingen/toevoegen/")
    page.get_by_label("Leerlingvolgsysteem").select_option(label="Momento")
    page.get_by_label("Autorisatiesleutel").fill(OTHER_KEY)
    if keep:
        page.get_by_label("Bewaar de koppeling ook als de leverancier de sleutel weigert").check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(f"{app}/school/{school.pk}/beheer/resultaatkoppelingen/**")


def test_a_refused_key_is_not_kept_and_no_message_contradicts_the_row(page, live_server, demo_feed, reference_lvs):
    make_supplier("Momento", reference_lvs[1])
    school = School.objects.get(name="De Regenboog")
    _signed_in(page, live_server)
    app = live_server.url
    page.set_viewport_size(PHONE)

    _add(page, app, school, keep=False)
    row = page.get_by_role("row", name="Momento")
    assert row.get_by_text("Wordt gecontroleerd…").is_visible()
    assert page.get_by_text("De sleutel is ter controle naar Momento gestuurd").is_visible()
    tasks.check_key(ResultLink.objects.get(school=school).pk)  # the worker's part
    row.get_by_text("De koppeling is daarom niet bewaard").wait_for(timeout=15_000)  # the cell polls
    assert not ResultLink.objects.current().filter(school=school).exists()
    screenshot(page, "lvs-sleutel-geweigerd-niet-bewaard")

    page.reload()  # without JavaScript's polling, a refresh says the same
    assert page.get_by_role("heading", name="Niet bewaard: sleutel geweigerd").is_visible()
    assert page.get_by_text("De koppeling is daarom niet bewaard").first.is_visible()
    assert page.get_by_role("row", name="Momento").count() == 0
    assert "ter controle" not in page.locator("main").inner_text()
    assert no_sideways_scroll(page)

    page.go_back()
    page.go_forward()
    assert "ter controle" not in page.locator("main").inner_text()


def test_a_refused_key_is_kept_when_the_coordinator_ticks_keep(page, live_server, demo_feed, reference_lvs):
    make_supplier("Momento", reference_lvs[1])
    school = School.objects.get(name="De Regenboog")
    _signed_in(page, live_server)
    app = live_server.url
    _add(page, app, school, keep=True)
    tasks.check_key(ResultLink.objects.get(school=school).pk)
    row = page.get_by_role("row", name="Momento")
    row.get_by_text("Sleutel geweigerd", exact=True).wait_for(timeout=15_000)
    link = ResultLink.objects.current().get(school=school)
    assert link.status == LinkStatus.KEY_REFUSED and link.keep_if_refused
    assert "niet bewaard" not in page.locator("main").inner_text()
