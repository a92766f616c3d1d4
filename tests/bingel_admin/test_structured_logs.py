"""Log records carry the request id and school id; production writes one JSON object a line."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from bingel_admin.observability import ContextFilter, JsonFormatter
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def test_records_written_during_a_school_request_carry_request_and_school_id(world, client, caplog):
    login_as(client, world.coordinator_a)
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(
            reverse("licence_release_seat", args=[world.school_a.pk, 999999, 999999]),
            headers={"X-Request-ID": "trace-42"},
        )
    assert response.status_code == 404
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.request_id == "trace-42"
    assert record.school_id == world.school_a.pk


def test_json_formatter_writes_one_object_per_line():
    record = logging.LogRecord("roster", logging.INFO, __file__, 1, "import %s done", ("school 7",), None)
    ContextFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "import school 7 done" and entry["level"] == "INFO" and "request_id" in entry
