"""Every page, at a phone's width (390 CSS px), without sideways scrolling (issue 17).

The test follows every link a coordinator and a teacher can reach, opens every collapsed part
(<details>), and measures the page; the pages it was served are also checked by the Nu Html
Checker at the end of the run (tests/browser.py)."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings

from tests.browser import PHONE, overflow, screenshot
from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]

SKIP = re.compile(r"^/(admin|accounts|static|api)/|/uitloggen/|/licentiegebruik\.")
PER_PATTERN = 2  # pages per URL shape (ids replaced), enough to meet every template


def crawl(page, start: str, origin: str) -> dict[str, int]:
    """Visit every reachable page once per URL shape; return how far each one scrolls sideways."""
    queue, seen_shapes, measured = [start], {}, {}
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        shape = re.sub(r"\d+", "N", path)
        if path in measured or seen_shapes.get(shape, 0) >= PER_PATTERN or SKIP.search(path):
            continue
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        page.goto(url)
        measured[path] = overflow(page)
        for href in page.locator("a[href]").evaluate_all("links => links.map(a => a.href)"):
            href = urldefrag(href)[0]
            if href.startswith(origin) and not href.startswith("mailto:"):
                queue.append(href)
    return measured


def in_language(page, live_server, language: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_page_scrolls_sideways_at_390_px(page, live_server, walk, language):
    """In Dutch and in English, with the Logboek filled (the walk's school)."""
    page.set_viewport_size(PHONE)
    in_language(page, live_server, language)
    origin = live_server.url
    measured = {}
    for path in ("/inloggen/", "/help/", "/bestaat-niet/"):
        page.goto(origin + path)
        measured[path] = overflow(page)

    sign_in(page, live_server, walk.coordinator)
    measured.update(crawl(page, origin + "/", origin))
    # The pages behind buttons, not links.
    for path in (
        f"/school/{walk.school.pk}/beheer/licenties/kind/{walk.seat_licence.pk}/koppelen/?groep={walk.group_8.pk}",
        f"/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/{walk.milans[0].pk}/",
    ):
        page.goto(origin + path)
        measured[path] = overflow(page)
    screenshot(page, "phone-code-change")
    page.goto(f"{origin}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/")
    screenshot(page, "phone-codes")

    page.context.clear_cookies()
    in_language(page, live_server, language)
    sign_in(page, live_server, walk.teacher)
    measured.update({f"teacher {k}": v for k, v in crawl(page, origin + "/", origin).items()})

    assert len(measured) >= 25, sorted(measured)
    assert f"/school/{walk.school.pk}/beheer/licenties/logboek/" in measured
    wide = {path: px for path, px in measured.items() if px > 0}
    assert not wide, f"pages wider than 390 px (by px): {wide}"


def test_beheer_home_warnings_leave_room_on_a_phone(page, live_server, walk):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/")
    screenshot(page, "phone-beheer-home")
    warnings = page.get_by_role("region", name=re.compile("aandachtspunt")).bounding_box()
    assert warnings["height"] <= PHONE["height"] / 2, warnings
    licences = page.get_by_role("heading", name=re.compile("^Licenties")).first.bounding_box()
    assert licences["y"] < PHONE["height"] * 1.5, "the licences follow soon after the warnings"
