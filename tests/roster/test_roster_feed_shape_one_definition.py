"""The feed's shape is defined once (roster/feed/shape.py): the JSON Schema for outside tools is
generated from it, and every model column it names is long enough for what the feed may send."""

from __future__ import annotations

import json

import jsonschema
import pytest
from django.db import models

from roster.feed import shape
from roster.models import Group, Pupil, School, Staff

STORED_IN = {"PUPIL": (shape.PUPIL, Pupil), "STAFF": (shape.STAFF, Staff), "GROUP": (shape.GROUP, Group)}
STORED_IN["DETAILS"] = (shape.DETAILS, School)


def test_the_committed_json_schema_is_the_one_generated_from_the_shape():
    committed = json.loads(shape.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == shape.json_schema(), "run: python -m roster.feed.shape"
    jsonschema.Draft202012Validator.check_schema(committed)


@pytest.mark.parametrize("name", sorted(STORED_IN))
def test_every_stored_field_fits_its_model_column(name):
    spec, model = STORED_IN[name]
    stored = shape.stored_fields(spec)
    assert stored, f"{name} stores nothing"
    for path, column, kind in stored:
        field = model._meta.get_field(column)
        limit = dict(_limits(spec))[path]
        if kind == shape.TEXT:
            assert isinstance(field, models.CharField), f"{model.__name__}.{column}"
            assert field.max_length == limit, (
                f"{'.'.join(path)}: feed {limit}, {model.__name__}.{column} {field.max_length}"
            )
        elif kind == shape.DATE:
            assert isinstance(field, models.DateField), f"{model.__name__}.{column}"
        else:
            pytest.fail(f"{'.'.join(path)}: the importer cannot store a field of kind {kind!r}")


def _limits(spec, path=()):
    for key, field in spec.items():
        if isinstance(field.kind, dict):
            yield from _limits(field.kind, (*path, key))
        else:
            yield (*path, key), field.limit


def test_the_schema_and_the_shape_check_agree_on_a_too_long_name_and_a_bad_date():
    validator = jsonschema.Draft202012Validator(shape.json_schema(), format_checker=jsonschema.FormatChecker())
    pupil = {"id": 1, "persoonsgegevens": {"achternaam": "x" * 151}}
    staff = {"id": 2, "einddatum": "2026-02-30"}
    for roster in ({"leerlingen": [pupil]}, {"medewerkers": [staff]}):
        assert not validator.is_valid(roster)
        with pytest.raises(shape.InvalidSchool):
            shape.check_shape(shape.SchoolDocument(1, {}, roster))
    assert validator.is_valid({"leerlingen": [{"id": 1, "persoonsgegevens": {"achternaam": "x" * 150}}]})
