"""Set-based writes of plain tuples, shared by the roster import and the login codes.

PostgreSQL gets the fast paths (``COPY``, ``UPDATE … FROM (VALUES …)``); SQLite (the local demo)
a plain Django fallback. Rows are tuples in the order of the given field names, never model
instances: building a million of those costs more than writing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

# PostgreSQL takes at most 65,535 parameters per statement.
_MAX_PARAMETERS = 60_000
# Below this many rows an INSERT is as quick as a COPY and keeps the SQLite path the same.
COPY_FROM = 50


def insert_rows(model, fields: Sequence[str], rows: Sequence[tuple], *, ids: bool = False) -> list[int]:
    """Insert rows (tuples in the order of ``fields``, attribute names such as ``group_id``).

    With ``ids``, returns the new rows' primary keys in the order of ``rows``: on PostgreSQL
    they are drawn from the table's sequence first and written with the rows, so that a COPY
    (which returns nothing) needs no second query to find them.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects] if ids else []
    meta = model._meta
    columns = [f'"{meta.get_field(name).column}"' for name in fields]
    new_ids: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence(%s, %s) AS seq) AS q, "
                "generate_series(1, %s)",
                [f'"{meta.db_table}"', meta.pk.column, len(rows)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
            columns.insert(0, f'"{meta.pk.column}"')
        with cursor.cursor.copy(f'COPY "{meta.db_table}" ({", ".join(columns)}) FROM STDIN') as copy:
            if ids:
                for pk, row in zip(new_ids, rows, strict=True):
                    copy.write_row((pk, *row))
            else:
                for row in rows:
                    copy.write_row(row)
    return new_ids


def update_values(model, fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Update rows given as ``(pk, *values in the order of fields)`` with one ``UPDATE … FROM (VALUES …)``.

    Django's bulk_update builds a CASE per field and row, which costs more than the rest of a
    night's import together.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = [model(pk=row[0], **dict(zip(fields, row[1:], strict=True))) for row in rows]
        model.objects.bulk_update(objects, fields, batch_size=500)
        return
    per_statement = _MAX_PARAMETERS // (len(fields) + 1)
    if len(rows) > per_statement:
        for start in range(0, len(rows), per_statement):
            update_values(model, fields, rows[start : start + per_statement])
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"::{f.db_type(connection)}' for f in columns)
    names = ", ".join(f'"{f.column}"' for f in columns)
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    prepare = [_preparer(f) for f in columns]
    params = [value for row in rows for value in _prepared(row, prepare)]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{meta.db_table}" AS t SET {assignments} '  # noqa: S608 - names come from the model, values are parameters
            f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {names}) WHERE t.id = v.id::bigint",
            params,
        )


# Field types whose Python values psycopg sends as they are; others go through Django's preparation.
_PLAIN_TYPES = frozenset(
    {"CharField", "TextField", "BooleanField", "BigIntegerField", "IntegerField", "ForeignKey"}
    | {"DateTimeField", "DateField"}
)


def _preparer(field):
    if field.get_internal_type() in _PLAIN_TYPES:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _prepared(row: tuple, prepare: list) -> Iterable:
    yield row[0]
    for value, prep in zip(row[1:], prepare, strict=True):
        yield value if prep is None else prep(value)


def delete_pks(model, pks: Iterable[int]) -> None:
    pks = list(pks)
    for start in range(0, len(pks), _MAX_PARAMETERS):
        model.objects.filter(pk__in=pks[start : start + _MAX_PARAMETERS]).delete()
