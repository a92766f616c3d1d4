"""The development identity provider lists the README's three personas first, before the demo's
other staff (issue 28, point 12: 22 people buried them)."""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, DEMO_TEACHER_COORDINATOR

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_three_personas_come_first(page, idp):
    page.goto(f"{idp}/login/")
    names = page.locator(".person .naam").all_inner_texts()
    assert len(names) > 20, names
    personas = [DEMO_COORDINATOR, DEMO_TEACHER, DEMO_TEACHER_COORDINATOR]
    assert names[:3] == [p.full_name for p in personas]
    assert all(names.count(p.full_name) == 1 for p in personas), "each once"
    # The first choice a keyboard reaches is the coordinator's.
    assert page.locator("input[name=person]").first.get_attribute("value") == str(DEMO_COORDINATOR.basispoort_id)
