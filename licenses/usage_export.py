""" "Licentiegebruik downloaden": one row per licence of this school year and later, as CSV for
Dutch Excel (UTF-8 with BOM, ``;``) or as ``.xlsx`` (openpyxl in write-only mode).

The caller decides which schools: a coordinator's (from ``roster.access``) or, in the back office,
every school. Rows are read in chunks from a server-side cursor and written as they come, so the
publisher's export of all 6,057 schools holds only a chunk in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from openpyxl import Workbook

from licenses.models import GroupLink, Licence, LicenceKind, Seat
from roster.school_year import last_day_of, school_year_of

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


def header() -> list[str]:
    return [
        _("School"),
        _("BRIN"),
        _("Product"),
        _("Methode"),
        _("Schooljaar"),
        _("Soort"),
        _("Licenties gekocht"),
        _("Licenties in gebruik"),
        _("Groepen gekoppeld"),
        _("Loopt af op"),
    ]


def _count(model, **where) -> Coalesce:
    counted = model.objects.filter(licence=OuterRef("pk"), **where).order_by().values("licence")
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def usage_licences(school_ids: Iterable[int] | None, today: dt.date) -> QuerySet:
    """This school year's and later licences of these schools (all schools for ``None``)."""
    licences = Licence.objects.filter(school_year__gte=school_year_of(today))
    if school_ids is not None:
        licences = licences.filter(school_id__in=list(school_ids))
    return licences.annotate(used=_count(Seat), groups_linked=_count(GroupLink, group__active=True)).order_by(
        "school__name", "school_id", "product__method__name", "product__name", "school_year", "pk"
    )


def usage_rows(school_ids: Iterable[int] | None, today: dt.date) -> Iterator[list]:
    kinds = dict(LicenceKind.choices)
    for school, brin, dep, product, method, year, kind, seats, used, groups in (
        usage_licences(school_ids, today)
        .values_list(
            "school__name",
            "school__brin",
            "school__dependancecode",
            "product__name",
            "product__method__name",
            "school_year",
            "kind",
            "seats",
            "used",
            "groups_linked",
        )
        .iterator(chunk_size=CHUNK)
    ):
        per_pupil = kind == LicenceKind.PER_PUPIL
        yield [
            school,
            f"{brin}{dep}",
            product,
            method,
            year,
            str(kinds.get(kind, kind)),
            seats if per_pupil else None,
            used if per_pupil else None,
            None if per_pupil else groups,
            last_day_of(year),
        ]


class _Line(io.StringIO):
    def pop(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def _csv_value(value) -> object:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else value


def csv_chunks(rows: Iterable[list]) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes with a BOM, ``;``-separated, a chunk of lines at a time."""
    line = _Line()
    writer = csv.writer(line, delimiter=";", lineterminator="\r\n")
    writer.writerow(header())
    yield ("\ufeff" + line.pop()).encode("utf-8")
    batch = 0
    for row in rows:
        writer.writerow(
            ["" if value is None else value.isoformat() if isinstance(value, dt.date) else value for value in row]
        )
        batch += 1
        if batch == CHUNK:
            yield line.pop().encode("utf-8")
            batch = 0
    if batch:
        yield line.pop().encode("utf-8")


def write_xlsx(rows: Iterable[list]) -> IO[bytes]:
    """The workbook in a temporary file (write-only: rows go to disk as they come), rewound."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Licentiegebruik"))
    sheet.append(header())
    for row in rows:
        sheet.append(row)
    out = tempfile.TemporaryFile()  # noqa: SIM115 — handed to the response, which closes it
    book.save(out)
    out.seek(0)
    return out


def usage_response(school_ids: Iterable[int] | None, fmt: str, name: str, today: dt.date) -> HttpResponseBase:
    """The download as a streamed CSV or an ``.xlsx`` file response (``fmt``: ``csv`` or ``xlsx``)."""
    filename = f"licentiegebruik-{name}-{today.isoformat()}.{fmt}"
    rows = usage_rows(school_ids, today)
    if fmt == "xlsx":
        return FileResponse(write_xlsx(rows), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response = StreamingHttpResponse(csv_chunks(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
