"""Playwright driving Debian's Chromium (/usr/bin/chromium); screenshots go to test-artifacts/."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.html_checker import nu_errors

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Every HTML page a browser test was served, checked by the Nu Html Checker at the end of the run.
VISITED_HTML = ARTIFACTS / "visited-html"
CHROMIUM = "/usr/bin/chromium"
# A phone's viewport in CSS pixels (an iPhone 12 to 15).
PHONE = {"width": 390, "height": 844}
# Without these Chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package.")

    # Playwright's sync API runs an event loop in this thread; the live server's ORM use is
    # in its own threads, and the test's own queries are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
        page = context.new_page()
        page.on("response", _keep_html)
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        yield page
        context.close()
        browser.close()
        assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def _keep_html(response) -> None:
    """Save the markup of each of our pages (not htmx fragments, not redirects) exactly as served.

    Only the app's own answers carry ``X-Request-ID``; the identity providers the login tests go
    through (ours for the demo, a third-party one) are not the product and are not checked."""
    request = response.request
    if request.resource_type != "document" or 300 <= response.status < 400:
        return
    if "x-request-id" not in response.headers:
        return
    if "text/html" not in response.headers.get("content-type", ""):
        return
    body = response.body()
    digest = hashlib.sha256(body).hexdigest()[:16]
    slug = re.sub(r"[^a-z0-9]+", "-", response.url.split("://", 1)[-1].lower()).strip("-")[-60:]
    VISITED_HTML.mkdir(parents=True, exist_ok=True)
    (VISITED_HTML / f"{slug}-{digest}.html").write_bytes(body)


@pytest.fixture(scope="session", autouse=True)
def _nu_html_checker():
    """Once every test has run: all pages the browser tests were served must be valid HTML."""
    shutil.rmtree(VISITED_HTML, ignore_errors=True)
    yield
    pages = sorted(VISITED_HTML.glob("*.html")) if VISITED_HTML.exists() else []
    if pages:
        errors = nu_errors(pages)
        assert not errors, f"the Nu Html Checker found {len(errors)} errors in {len(pages)} pages:\n" + "\n".join(
            errors[:60]
        )


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_through_basispoort(page, sso, person) -> None:
    """Click "Inloggen via Basispoort", pick ``person`` at the dev provider, and come back."""
    page.goto(sso.app + "/")
    page.get_by_role("button", name="Inloggen via Basispoort").click()
    page.wait_for_url(f"{sso.idp}/login/**")
    page.get_by_label(person.full_name, exact=False).check()
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{sso.app}/**")


def double_click(page, locator, gap_ms: int) -> None:
    """Two clicks on ``locator`` with ``gap_ms`` between them, as a hurried person does: the
    second lands while the first one's request is on its way (the mouse does not wait for it)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(gap_ms)
    page.mouse.click(x, y)


def posts_to(page, path_part: str) -> list[str]:
    """Record every POST the page sends to a URL containing ``path_part`` (a live list)."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.url) if request.method == "POST" and path_part in request.url else None,
    )
    return sent


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways, with every <details> opened."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
