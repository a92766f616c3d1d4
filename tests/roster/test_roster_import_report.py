""" "Laatste synchronisatie": what changed for the school and what to fix in its administration."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from roster.models import School
from roster.reports import latest_sync_summary
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_801
GROUPS = [group("G5"), group("G6", jaargroep="6")]
TEACHER = staff(700_801, ["Leerkracht"], ["G5", "G6"])


def test_the_summary_counts_new_moved_and_left_pupils_and_phrases_warnings(tmp_path, django_assert_max_num_queries):
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=[TEACHER], pupils=[pupil(1, "G5"), pupil(2, "G5")])])
    import_feed(
        tmp_path,
        [
            school(
                SCHOOL,
                groups=GROUPS,
                staff=[TEACHER, staff(700_802, ["Leerkracht"], [], email=None)],
                pupils=[pupil(1, "G6"), pupil(3, "G5"), pupil(4, "G5")],
            )
        ],
    )
    the_school = School.objects.get(basispoort_id=SCHOOL)
    with django_assert_max_num_queries(1):
        summary = latest_sync_summary(the_school)
    assert (summary.new_pupils, summary.moved_pupils, summary.left_pupils) == (2, 1, 1)
    assert [w.text for w in summary.warnings] == [
        "1 medewerker heeft geen e-mailadres. Vul in de schooladministratie een uniek school-e-mailadres in."
    ]

    html = render_to_string("roster/_sync_report.html", {"sync": summary})
    assert "Laatste synchronisatie" in html
    assert "2 nieuwe leerlingen" in html
    assert "1 leerling naar een andere groep" in html
    assert "1 leerling vertrokken" in html
    assert "Te verbeteren in de schooladministratie" in html


def test_an_unchanged_night_keeps_the_warnings_of_the_last_full_read(tmp_path):
    doc = school(
        SCHOOL, groups=GROUPS[:1], staff=[staff(700_801, ["Leerkracht"], [], email=None)], pupils=[pupil(1, "G5")]
    )
    import_feed(tmp_path, [doc])
    import_feed(tmp_path)
    summary = latest_sync_summary(School.objects.get(basispoort_id=SCHOOL))
    assert summary.unchanged
    assert {w.text.split(".")[0] for w in summary.warnings} == {
        "1 medewerker heeft geen e-mailadres",
        "1 groep heeft geen leerkracht",
    }
    assert "Er was niets veranderd" in render_to_string("roster/_sync_report.html", {"sync": summary})


def test_a_refused_night_tells_the_coordinator_what_to_fix(tmp_path):
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=[TEACHER], pupils=[pupil(1, "G5")])])
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=[TEACHER], pupils=[pupil(1, "G5"), pupil(1, "G6")])])
    summary = latest_sync_summary(School.objects.get(basispoort_id=SCHOOL))
    assert summary.failed
    assert "komt twee keer voor in de schooladministratie" in summary.problem
    assert 'role="alert"' in render_to_string("roster/_sync_report.html", {"sync": summary})


def test_a_school_never_synchronised_has_no_summary(world):
    assert latest_sync_summary(world.school_a) is None
    assert "nog niet gesynchroniseerd" in render_to_string("roster/_sync_report.html", {"sync": None})
