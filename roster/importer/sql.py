"""SQL helpers of the roster import for model instances (the few school rows) and for the
transaction's commit setting. Rows as plain tuples are written by ``roster.bulk``.
"""

from __future__ import annotations

from django.db import connection


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


def _relax_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash can lose only the last moments of an import,
    which is idempotent and simply applies them again on the next run; it never corrupts anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
