""" "Licentiegebruik downloaden" opens in third-party readers: openpyxl reads the .xlsx back, Python's
csv module with Dutch Excel's ``;`` reads the CSV back; accents and the BOM survive."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from licenses.models import GroupLink, LicenceKind, Method, Seat
from roster.school_year import next_school_year, school_year_of
from tests.factories import login_as
from tests.my_schools_world import download_body

pytestmark = pytest.mark.django_db

HEADER = [
    "School",
    "BRIN",
    "Product",
    "Methode",
    "Schooljaar",
    "Soort",
    "Licenties gekocht",
    "Licenties in gebruik",
    "Groepen gekoppeld",
    "Loopt af op",
]


def _expected(board) -> list[list]:
    year = school_year_of(timezone.localdate())
    ends = dt.date(int(year[5:]), 7, 31)
    rows = []
    for school in board.mine:
        brin = f"{school.brin}00"
        rows.append([school.name, brin, "leeslicht-plus", "Rekenroute", year, "Licentie per kind", 3, 1, None, ends])
        rows.append(
            [school.name, brin, "rekenroute-digitaal", "Rekenroute", year, "Licentie per groep", None, None, 1, ends]
        )
    return rows


@pytest.fixture
def linked(board):
    Method.objects.filter(code="rekenen").update(name="Rekenroute")
    for school in board.schools:
        licence = school.licences.get(kind=LicenceKind.PER_GROUP)
        GroupLink.objects.create(licence=licence, group=school.groups.get(), school=school)
    return board


def test_the_xlsx_reads_back_with_openpyxl(linked, client):
    login_as(client, linked.coordinator_of_three)
    response = client.get(reverse("my_schools_usage", args=["xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="licentiegebruik-mijn-scholen-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download_body(response)), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    # openpyxl gives dates back as datetimes at midnight
    body = [[*row[:-1], row[-1].date()] for row in rows[1:]]
    assert sorted(body, key=str) == sorted(_expected(linked), key=str)
    assert "Basisschool Één Linde" in {row[0] for row in body}


def test_the_csv_has_a_bom_semicolons_and_reads_back(linked, client):
    login_as(client, linked.coordinator_of_three)
    response = client.get(reverse("my_schools_usage", args=["csv"]))
    assert response.streaming
    raw = download_body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == HEADER
    want = [
        ["" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in row]
        for row in _expected(linked)
    ]
    assert sorted(rows[1:]) == sorted(want)
    assert "Basisschool Één Linde" in raw.decode("utf-8")


def test_next_years_licences_are_in_it_and_last_years_are_not(linked, client):
    school = linked.schools[0]
    licence = school.licences.get(kind=LicenceKind.PER_PUPIL)
    year = school_year_of(timezone.localdate())
    for other in (next_school_year(year), f"{int(year[:4]) - 1}-{year[:4]}"):
        copy = type(licence).objects.create(
            school=school, product=licence.product, kind=licence.kind, seats=9, school_year=other
        )
        assert copy.pk
    Seat.objects.filter(licence=licence).delete()
    login_as(client, linked.coordinator_of_three)
    raw = download_body(client.get(reverse("school_usage", args=[school.pk, "csv"])))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))[1:]
    assert sorted(row[4] for row in rows) == sorted([year, year, next_school_year(year)])
    assert [row[7] for row in rows if row[5] == "Licentie per kind" and row[4] == year] == ["0"]


def test_the_english_download_has_english_headings(linked, client):
    login_as(client, linked.coordinator_of_three)
    client.cookies["django_language"] = "en"
    raw = download_body(client.get(reverse("my_schools_usage", args=["csv"]), HTTP_ACCEPT_LANGUAGE="en"))
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("School;BRIN;Product;Method;School year;Kind")
