"""SQL helpers of the roster import for model instances (the few school rows) and for the
transaction's commit setting. Every row, tuple or instance, is written by ``roster.bulk``.
"""

from __future__ import annotations

from django.db import connection

from roster.bulk import update_values


def update_rows(model, rows: list, fields: list[str]) -> None:
    """Write changed model instances (the few school rows) through the one ``UPDATE … FROM (VALUES …)``
    writer, ``roster.bulk.update_values``."""
    if not rows:
        return
    attnames = [model._meta.get_field(name).attname for name in fields]
    update_values(model, attnames, [(row.pk, *(getattr(row, name) for name in attnames)) for row in rows])


def _relax_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash can lose only the last moments of an import,
    which is idempotent and simply applies them again on the next run; it never corrupts anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
