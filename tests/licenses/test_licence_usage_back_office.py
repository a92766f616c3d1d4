"""The publisher's own "Licentiegebruik downloaden" in the back office: every school, the same
columns, streamed; only for back-office users who may see licences."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import back_office_login, login_as
from tests.my_schools_world import download_body

pytestmark = pytest.mark.django_db


def test_every_school_is_in_it(board, client):
    back_office_login(client)
    changelist = client.get(reverse("admin:licenses_licence_changelist")).content.decode()
    assert reverse("admin:licenses_licence_usage_xlsx") in changelist
    response = client.get(reverse("admin:licenses_licence_usage_csv"))
    assert response.streaming
    rows = list(csv.reader(io.StringIO(download_body(response).decode("utf-8-sig")), delimiter=";"))
    assert {row[0] for row in rows[1:]} == {school.name for school in board.schools}
    book = load_workbook(io.BytesIO(download_body(client.get(reverse("admin:licenses_licence_usage_xlsx")))))
    assert book.active.max_row == len(rows)


def test_a_coordinator_cannot_use_it(board, client):
    login_as(client, board.coordinator_of_three)
    response = client.get(reverse("admin:licenses_licence_usage_csv"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
