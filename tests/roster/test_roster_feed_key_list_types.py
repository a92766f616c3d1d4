"""A key list of the feed (a person's ``rollen``, ``groepen``, ``subgroepen``) holding something
that is not text refuses the school, with a reason naming the exact place.

Without this, a number among a teacher's roles silently drops the role, and a dict among the
groups makes the school fail later with a misleading database reason. The example tests go
through the whole nightly import; the property asks the parser alone, so it can afford many
examples of every key list and every JSON type.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roster.feed import RawSchool
from roster.feed.validation import ErrorCode, InvalidSchool, parse_school
from roster.models import AppointmentRole, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, import_feed, pupil, school, staff

SCHOOL = 500_901
OTHER = 500_902


def coordinator_with(**lists) -> dict:
    # Ilse Bakker, coordinator and teacher of groep 5, as the school administration sends her.
    ilse = staff(700_901, ["ICTCoordinator", "Leerkracht"], ["G5"])
    ilse["subgroepen"] = ["S1"]
    ilse.update(lists)
    return ilse


def roster_with(ilse: dict, milan: dict | None = None):
    milan = milan or pupil(1, "G5", "Milan", "Bakker", subgroepen=["S1"])
    return school(SCHOOL, groups=[group("G5")], subgroups=[group("S1", jaargroep=None)], staff=[ilse], pupils=[milan])


def appointments() -> list[tuple[str, str]]:
    # Ilse's roles and groups at the school, as pairs.
    return sorted(
        AppointmentRole.objects.filter(appointment__school__basispoort_id=SCHOOL, appointment__active=True).values_list(
            "role", "appointment__groups__las_key"
        )
    )


CASES = [
    # (what the feed holds, the place the reason must name, the kind it must say it found)
    (coordinator_with(rollen=["ICTCoordinator", 5]), "roster.medewerkers[0].rollen[1]", "a number"),
    (coordinator_with(rollen=[True]), "roster.medewerkers[0].rollen[0]", "a true/false value"),
    (coordinator_with(groepen=[{"lasKey": "G5"}]), "roster.medewerkers[0].groepen[0]", "an object"),
    (coordinator_with(groepen=["G5", ["G6"]]), "roster.medewerkers[0].groepen[1]", "a list"),
    (coordinator_with(subgroepen=[None]), "roster.medewerkers[0].subgroepen[0]", "null"),
    (coordinator_with(subgroepen=[3.5]), "roster.medewerkers[0].subgroepen[0]", "a number"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("ilse", "place", "found"), CASES, ids=[c[1].rsplit(".", 1)[1] for c in CASES])
def test_a_wrong_type_in_a_staff_key_list_refuses_the_school_naming_the_place(tmp_path, ilse, place, found):
    import_feed(tmp_path / "first", [roster_with(coordinator_with()), school(OTHER, groups=[group("G5")])])
    before = appointments()

    run, _ = import_feed(tmp_path / "second", [roster_with(ilse), school(OTHER, groups=[group("G5")])])

    result = SchoolImportResult.objects.get(run=run, basispoort_id=SCHOOL)
    assert (result.status, result.error_code) == (SchoolResultStatus.FAILED, ErrorCode.WRONG_TYPE)
    assert result.error == f"{place} is {found}, expected text"
    # Nothing half-applied: Ilse keeps her roles and groups as the first night left them.
    assert appointments() == before
    assert before == [("ICTCoordinator", "G5"), ("ICTCoordinator", "S1"), ("Leerkracht", "G5"), ("Leerkracht", "S1")]
    other = SchoolImportResult.objects.get(run=run, basispoort_id=OTHER)
    assert other.status in {SchoolResultStatus.IMPORTED, SchoolResultStatus.UNCHANGED}


@pytest.mark.django_db
def test_a_wrong_type_in_a_pupils_subgroups_refuses_the_school(tmp_path):
    milan = pupil(1, "G5", "Milan", "Bakker", subgroepen=["S1", {"lasKey": "S1"}])
    run, _ = import_feed(tmp_path, [roster_with(coordinator_with(), milan)])
    result = SchoolImportResult.objects.get(run=run, basispoort_id=SCHOOL)
    assert result.error_code == ErrorCode.WRONG_TYPE
    assert result.error == "roster.leerlingen[0].subgroepen[1] is an object, expected text"


KEY_LISTS = [("medewerkers", "rollen"), ("medewerkers", "groepen"), ("medewerkers", "subgroepen")]
KEY_LISTS += [("leerlingen", "subgroepen")]
NOT_TEXT = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=2),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(KEY_LISTS),
    keys=st.lists(st.text(max_size=8), max_size=4),
    position=st.integers(min_value=0, max_value=4),
    value=NOT_TEXT,
)
def test_any_non_text_item_in_any_key_list_is_refused_where_it_is(where, keys, position, value):
    part, field = where
    doc = roster_with(coordinator_with())
    at = min(position, len(keys))
    doc.roster[part][0][field] = [*keys[:at], value, *keys[at:]]
    raw = RawSchool(SCHOOL, json.dumps(doc.roster).encode(), json.dumps(doc.details).encode())
    with pytest.raises(InvalidSchool) as refused:
        parse_school(raw)
    assert refused.value.code == ErrorCode.WRONG_TYPE
    assert str(refused.value).startswith(f"roster.{part}[0].{field}[{at}] is ")
