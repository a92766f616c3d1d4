"""Licenties per kind → Koppelen with the keyboard only (issue 28, point 8): walking the group
list with the arrow keys does not fire a request and a history entry per key, and Back then
Forward show the chosen group and its children together."""

from __future__ import annotations

import pytest

from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_arrow_keys_through_the_groups_then_back_and_forward(page, live_server, walk):
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/licenties/kind/")
    page.get_by_role("link", name="Koppelen reken-plus").click()
    page.wait_for_url("**/koppelen/")
    entries = page.evaluate("history.length")
    fragments = []
    page.on("request", lambda r: fragments.append(r.url) if r.headers.get("hx-request") else None)

    groups = page.get_by_label("1. Kies de groep van het kind")
    groups.focus()
    for _ in range(3):  # — kies een groep — → Groep 1/2a → Groep 4 → Groep 8
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(80)
    step_2 = page.get_by_label("2. Kies het kind uit Groep 8")
    step_2.wait_for()
    assert len(fragments) == 1, fragments
    assert page.evaluate("history.length") == entries, "no history entry per group passed"
    assert page.url.endswith(f"?groep={walk.group_8.pk}")

    page.go_back()
    page.wait_for_url("**/licenties/kind/")
    page.go_forward()
    page.wait_for_url(f"**?groep={walk.group_8.pk}")
    assert groups.evaluate("el => el.options[el.selectedIndex].text") == "Groep 8"
    assert step_2.is_visible() and "Bakker, Milan (lln.nr. …1117)" in step_2.locator("option").all_inner_texts()
