"""Back in Chromium after htmx's history cache was cleared: htmx asks the server for the page
(a history-restore request) and must get the whole page, not the fragment (issue 26).

Of the htmx views only "Koppelen" (Licenties per kind) pushes its answer into the address bar; the
others (a group's details, an LVS link's polled status) never become a history entry. Their answer
to a history-restore request is checked without a browser in test_htmx_views_honour_history.py.
"""

from __future__ import annotations

import pytest

from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]
CLEAR_HTMX_HISTORY = "sessionStorage.removeItem('htmx-history-cache'); localStorage.removeItem('htmx-history-cache')"


def test_back_after_the_history_cache_was_cleared_shows_the_whole_koppelen_page(page, live_server, walk):
    sign_in(page, live_server, walk.coordinator)
    group_4 = walk.school.groups.get(name="Groep 4")
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/licenties/kind/{walk.seat_licence.pk}/koppelen/")
    page.wait_for_load_state("load")  # htmx is a deferred script
    choose = page.get_by_label("1. Kies de groep van het kind")
    choose.select_option(label="Groep 4")
    page.get_by_label("2. Kies het kind uit Groep 4").wait_for()
    # The choice replaces the address (one entry, however many groups the keyboard passes), and
    # htmx marks that entry as its own: coming back to it is htmx's history restore.
    page.wait_for_url(f"**?groep={group_4.pk}")
    page.evaluate("history.pushState({htmx: true}, '', location.pathname)")  # a later entry of this page

    # htmx saves the page it leaves into its cache before looking there: with no cache at all (as
    # after the cache was cleared or overflowed) the page must come from the server.
    page.evaluate("htmx.config.historyCacheSize = 0")
    page.evaluate(CLEAR_HTMX_HISTORY)
    with page.expect_response(lambda r: r.request.headers.get("hx-history-restore-request") == "true") as restore:
        page.go_back()
    answer = restore.value
    page.wait_for_url(f"**?groep={group_4.pk}")
    page.get_by_label("2. Kies het kind uit Groep 4").wait_for()

    assert page.locator("header.topbar").count() == 1
    assert page.get_by_role("heading", level=1, name="Licenties").count() == 1
    assert page.get_by_label("1. Kies de groep van het kind").count() == 1
    assert page.get_by_role("link", name="Terug naar Licenties per kind").is_visible()
    assert "HX-Request" in answer.headers["vary"]
