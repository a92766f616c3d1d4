"""Playwright driving Debian's Chromium (/usr/bin/chromium); screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
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
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the live server's ORM use is
    # in its own threads, and the test's own queries are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
        page = context.new_page()
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
