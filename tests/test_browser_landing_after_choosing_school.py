"""Where choosing a school takes you (issue #28 point 5).

A coordinator lands in Beheer (as the README says), not on the teacher's start page with "Je bent
(nog) niet aan een groep gekoppeld"; a teacher lands on the start page. "Andere school" keeps the
page you were on: the same page at the other school where it exists there.
"""

from __future__ import annotations

import pytest

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, SCHOOL_A, SCHOOL_B
from roster.models import Group, School
from tests.browser import log_in_through_basispoort

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_coordinator_lands_in_beheer_and_andere_school_keeps_the_page(page, sso):
    school_a = School.objects.get(basispoort_id=SCHOOL_A)
    school_b = School.objects.get(basispoort_id=SCHOOL_B)
    log_in_through_basispoort(page, sso, DEMO_COORDINATOR)  # two schools: the choice comes first
    page.wait_for_url(f"{sso.app}/scholen/")
    page.get_by_role("link", name=school_a.name).click()
    page.wait_for_url(f"{sso.app}/school/{school_a.pk}/beheer/")
    assert page.get_by_role("heading", name="Beheer", exact=True).is_visible()
    assert "niet aan een groep gekoppeld" not in page.locator("main").inner_text()

    # From "Licenties per kind" at school A to the same page at school B, keyboard only.
    page.goto(f"{sso.app}/school/{school_a.pk}/beheer/licenties/kind/")
    page.get_by_role("link", name="Andere school").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{sso.app}/scholen/**")
    page.get_by_role("link", name=school_b.name).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{sso.app}/school/{school_b.pk}/beheer/licenties/kind/")

    # A page of one group does not exist at the other school: Beheer there.
    group = Group.objects.filter(school=school_b, active=True).first()
    page.goto(f"{sso.app}/school/{school_b.pk}/beheer/groepen/{group.pk}/")
    page.get_by_role("link", name="Andere school").click()
    page.get_by_role("link", name=school_a.name).click()
    page.wait_for_url(f"{sso.app}/school/{school_a.pk}/beheer/")

    page.go_back()  # Back and Forward keep their pages
    page.wait_for_url(f"{sso.app}/scholen/**")
    page.go_forward()
    page.wait_for_url(f"{sso.app}/school/{school_a.pk}/beheer/")


def test_a_teacher_lands_on_the_start_page(page, sso):
    school_a = School.objects.get(basispoort_id=SCHOOL_A)
    log_in_through_basispoort(page, sso, DEMO_TEACHER)
    page.wait_for_url(f"{sso.app}/school/{school_a.pk}/")
    assert "/beheer/" not in page.url
