"""Set-based SQL helpers of the roster import: bulk updates, pair tables, COPY of new pupils.

Each helper writes many rows in a fixed number of statements; PostgreSQL gets the fast paths
(``UPDATE … FROM (VALUES …)``, ``COPY``), SQLite (the local demo) a plain fallback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from roster.models import Pupil, School

if TYPE_CHECKING:
    from roster.importer.apply import ApplyResult


def update_rows(model, rows: list, fields: list[str]) -> None:
    """Write changed rows with one ``UPDATE … FROM (VALUES …)``: Django's bulk_update builds a CASE
    per field and row, which costs more than the rest of a night's import together."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"::{f.db_type(connection)}' for f in columns)
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    names = ", ".join(f'"{f.column}"' for f in columns)
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {assignments} '  # noqa: S608 - names come from the model, values are parameters
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {names}) WHERE t.id = v.id::bigint"
    )
    params = [
        value
        for row in rows
        for value in (row.pk, *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns))
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _sync_pairs(model, left: str, right: str, have: set, want: set, result: ApplyResult, label: str) -> None:
    remove = have - want
    add = want - have
    if remove:
        for left_id in {pair[0] for pair in remove}:
            model.objects.filter(**{left: left_id, f"{right}__in": [p[1] for p in remove if p[0] == left_id]}).delete()
        result.deactivated[label] += len(remove)
    if add:
        model.objects.bulk_create([model(**{left: a, right: b}) for a, b in add])
        result.created[label] += len(add)


PUPIL_COPY_COLUMNS = [
    "school_id",
    "basispoort_id",
    "eckid",
    "las_key",
    "first_name",
    "infix",
    "last_name",
    "initials",
    "jaargroep",
    "group_id",
    "active",
    "left_at",
]


def _insert_pupils(school: School, pupils: list[Pupil]) -> None:
    """New pupils are most of a first import's rows; PostgreSQL's COPY takes them several times faster than INSERT."""
    if connection.vendor != "postgresql" or len(pupils) < 50:
        Pupil.objects.bulk_create(pupils)
        return
    columns = ", ".join(PUPIL_COPY_COLUMNS)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY roster_pupil ({columns}) FROM STDIN") as copy:
        for pupil in pupils:
            copy.write_row([getattr(pupil, column) for column in PUPIL_COPY_COLUMNS])
    ids = dict(
        Pupil.objects.filter(school=school, basispoort_id__in=[p.basispoort_id for p in pupils]).values_list(
            "basispoort_id", "pk"
        )
    )
    for pupil in pupils:
        pupil.pk = ids[pupil.basispoort_id]
        pupil._state.adding = False


def _relax_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash can lose only the last moments of an import,
    which is idempotent and simply applies them again on the next run; it never corrupts anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
