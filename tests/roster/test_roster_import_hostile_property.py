"""Property: whatever one school's roster holds, only that school is refused, and the others are
imported exactly as on a clean run; the run always closes.

Well-formed pupils are generated from the feed's JSON Schema (roster/feed/roster.schema.json)
by ``from_schema`` below (the subset of JSON Schema that file uses); hostile schools take a
well-formed document and replace values at random paths with other JSON types, huge numbers,
control characters, NUL and nulls. The
third-party ``jsonschema`` validator is the oracle: a document it calls invalid must be refused.
"""

from __future__ import annotations

import itertools
import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roster.models import ImportRunStatus, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, import_feed, school, staff
from tests.servers import ROOT

pytestmark = pytest.mark.django_db
SCHEMA = json.loads((ROOT / "roster" / "feed" / "roster.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
_ids = itertools.count(700_000, 1000)


def from_schema(node: dict) -> st.SearchStrategy:
    """Values valid under ``node`` (types, maxLength, properties, items, $ref, anyOf, integer bounds)."""
    if "$ref" in node:
        return from_schema(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in node:
        return st.one_of([from_schema(option) for option in node["anyOf"]])
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    options = []
    for kind in types:
        if kind == "null":
            options.append(st.none())
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "integer":
            options.append(st.integers(node.get("minimum"), node.get("maximum")))
        elif kind == "string" and node.get("format") == "date":
            options.append(st.dates().map(lambda d: d.isoformat()))
        elif kind == "string":
            options.append(st.text(st.characters(codec="utf-8"), max_size=min(node.get("maxLength", 40), 40)))
        elif kind == "array":
            options.append(st.lists(from_schema(node["items"]), max_size=3))
        elif kind == "object":
            properties = node.get("properties", {})
            required = set(node.get("required", ()))
            options.append(
                st.fixed_dictionaries(
                    {k: from_schema(v) for k, v in properties.items() if k in required},
                    optional={k: from_schema(v) for k, v in properties.items() if k not in required},
                )
            )
    return st.one_of(options)


# Pupils from the schema; the tests give them their ids and group so a school stays consistent.
pupil_fields = from_schema(SCHEMA["$defs"]["pupil"])

hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=5),
    st.just("a\x00b"),
    st.just("x" * 300),
)


def well_formed_school(bp: int, pupils: list[dict]):
    for index, pupil in enumerate(pupils):
        pupil.update({"id": bp + 10 + index, "groep": "G5", "subgroepen": [], "lasKey": f"L{bp + index}"})
    return school(bp, groups=[group("G5")], staff=[staff(bp + 1, ["Leerkracht"], ["G5"])], pupils=pupils)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replace(document, path, new):
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new


@st.composite
def hostile_roster(draw, base: dict) -> dict:
    document = json.loads(json.dumps(base))
    candidates = [p for p in paths(document) if p]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        candidates = [p for p in paths(document) if p]
        replace(document, draw(st.sampled_from(candidates)), draw(hostile_values))
    return document


def rows_changed(result: SchoolImportResult) -> dict:
    return {"created": result.created, "updated": result.updated, "deactivated": result.deactivated}


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), good_pupils=st.lists(st.lists(pupil_fields, min_size=1, max_size=3), min_size=2, max_size=2))
def test_hostile_schools_are_refused_alone_and_the_others_import_as_on_a_clean_run(tmp_path_factory, data, good_pupils):
    base = next(_ids)
    good = [well_formed_school(base + n * 100, pupils) for n, pupils in enumerate(good_pupils)]
    for doc in good:
        VALIDATOR.validate(doc.roster)  # the generator and our documents agree with the schema
    template = well_formed_school(base + 500, [{"persoonsgegevens": {"voornaam": "Sam"}}])
    roster = data.draw(hostile_roster(template.roster))
    hostile = type(template)(template.basispoort_id, template.details, roster)
    schema_says_invalid = not VALIDATOR.is_valid(roster)

    run, _summary = import_feed(tmp_path_factory.mktemp("mixed"), [good[0], hostile, good[1]])

    assert run.status != ImportRunStatus.RUNNING and run.finished_at is not None
    # Schools of earlier examples are no longer in this feed: they show up as withdrawn.
    results = {
        r.basispoort_id: r
        for r in SchoolImportResult.objects.filter(run=run).exclude(status=SchoolResultStatus.WITHDRAWN)
    }
    assert set(results) == {good[0].basispoort_id, hostile.basispoort_id, good[1].basispoort_id}
    for doc in good:
        assert results[doc.basispoort_id].status == SchoolResultStatus.IMPORTED, results[doc.basispoort_id].error
    if schema_says_invalid:
        assert results[hostile.basispoort_id].status == SchoolResultStatus.FAILED, roster
        assert results[hostile.basispoort_id].error

    # A clean run of the well-formed schools' own documents finds nothing left to change: their
    # rows are exactly what a run without the hostile school makes.
    clean, _summary = import_feed(tmp_path_factory.mktemp("clean"), good, full=True)
    assert clean.status == ImportRunStatus.FINISHED
    for result in SchoolImportResult.objects.filter(run=clean, status=SchoolResultStatus.IMPORTED):
        assert rows_changed(result) == {"created": {}, "updated": {}, "deactivated": {}}
    assert SchoolImportResult.objects.filter(run=clean, status=SchoolResultStatus.IMPORTED).count() == 2
