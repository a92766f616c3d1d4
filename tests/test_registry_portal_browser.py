"""The handbook's path: "Klik in Basispoort op de tab 'Lesmateriaal' op een methode" — in a real browser.

The teacher logs in at the portal stand-in (the dev identity provider), opens "Lesmateriaal": the
method's tile is there only after the coordinator linked the licence to the teacher's group, it
leads to our start page at that method, and it is gone after unlinking.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from bingel_admin.celery import app
from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A
from licenses.models import Licence
from roster.models import School
from roster.school_year import school_year_of
from tests.browser import log_in_through_basispoort, screenshot
from tests.servers import dev_identity_provider
from tests.sso import CALLBACK_PATH, Browser, use_provider

pytestmark = [pytest.mark.browser, pytest.mark.live]
PRODUCT = (
    "Leeslicht Basis digitaal"  # a demo group licence that starts unlinked; nothing else of Leeslicht reaches Mark
)


@pytest.fixture
def portal(settings, live_server, demo_feed, registry_settings, registry_pki, tmp_path, monkeypatch):
    """The dev identity provider reading the reference registry, and the app pushing to it."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.BINGEL_PUBLIC_URL = live_server.url
    registry_url = settings.LICENCE_REGISTRY_URL
    with dev_identity_provider(
        tmp_path,
        demo_feed,
        live_server.url + CALLBACK_PATH,
        live_server.url + "/",
        DEVIDP_REGISTRY_URL=registry_url,
        DEVIDP_REGISTRY_CLIENT_CERT=str(registry_pki.client),
        DEVIDP_REGISTRY_CA_BUNDLE=str(registry_pki.ca),
        DEVIDP_APP_URL=live_server.url,
    ) as idp:
        use_provider(settings, idp)
        call_command("sync_registry")  # the demo's existing links, as the nightly reconciliation sends them
        yield Browser(app=live_server.url, idp=idp)


def tile_names(page) -> list[str]:
    return page.locator("li.tile strong").all_inner_texts()


def test_the_tile_follows_the_link_and_leads_to_the_start_page(page, portal, registry_settings):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    # This school year's licence (the demo world also has next year's).
    licence = Licence.objects.get(school=school, product__name=PRODUCT, school_year=school_year_of(dt.date.today()))
    method = licence.product.method

    # The teacher at the portal: tiles of other methods, none of this one.
    page.goto(f"{portal.idp}/login/")
    page.get_by_label(DEMO_TEACHER.full_name, exact=False).check()
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Lesmateriaal").click()
    tiles = page.locator("li.tile")
    assert tile_names(page) and method.name not in tile_names(page)

    # The coordinator, in a browser of their own, links the licence to Groep 5.
    coordinator = page.context.browser.new_context(locale="nl-NL").new_page()
    log_in_through_basispoort(coordinator, portal, DEMO_COORDINATOR)
    coordinator.goto(f"{portal.app}/school/{school.pk}/beheer/licenties/groep/")
    section = coordinator.locator(f"section.licence#licentie-{licence.pk}")
    section.get_by_text("Koppelen", exact=True).click()
    section.get_by_label("Kies de groep").select_option(label="Groep 5 (jaargroep 5)")
    section.get_by_role("button", name="Toevoegen", exact=True).click()
    assert coordinator.get_by_text("is gekoppeld aan").is_visible()

    page.reload()
    assert method.name in tile_names(page)
    tile = tiles.filter(has_text=method.name)
    assert PRODUCT in tile.inner_text()
    screenshot(page, "portaal-lesmateriaal")

    # The tile leads to our start page at the method, through single sign-on but without asking
    # again: the teacher is signed in at the portal (issue 28, point 11).
    tile.get_by_role("link").click()
    page.wait_for_url(f"{portal.app}/school/{school.pk}/**")
    assert page.url.endswith(f"#methode-{method.pk}"), page.url
    heading = page.locator(f"#methode-{method.pk}")
    assert heading.is_visible() and abs(heading.bounding_box()["y"]) < 100, "scrolled to the method"
    assert PRODUCT in page.locator(f"section.method:has(#methode-{method.pk})").inner_text()

    # Unlinked: the tile is gone.
    coordinator.goto(f"{portal.app}/school/{school.pk}/beheer/licenties/groep/")
    coordinator.locator(f"section.licence#licentie-{licence.pk}").get_by_role("link", name="Ontkoppelen").first.click()
    coordinator.get_by_role("button", name="Ja, ontkoppelen").click()
    assert coordinator.get_by_text("is ontkoppeld van").is_visible()
    page.goto(f"{portal.idp}/lesmateriaal/")
    assert tile_names(page) and method.name not in tile_names(page)  # the other methods are still there
    coordinator.context.close()


def test_a_coordinator_has_a_tile_into_beheer(page, portal):
    school = School.objects.get(basispoort_id=SCHOOL_A)
    page.goto(f"{portal.idp}/login/")
    page.get_by_label(DEMO_COORDINATOR.full_name, exact=False).check()
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Lesmateriaal").click()
    page.get_by_role("link", name="Bingel beheer De Regenboog").click()
    page.wait_for_url(f"{portal.app}/school/{school.pk}/beheer/")
    assert page.get_by_role("heading", name="Beheer", exact=True).is_visible()
