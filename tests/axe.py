"""axe-core (from npm, see package.json) run in a Playwright page: the serious and critical
violations of the page shown, or of a URL at desktop and at tablet width."""

from __future__ import annotations

import pytest

from tests.servers import ROOT

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
