"""Re-seal stored secrets in batches that never lock a row for more than a moment.

Key rotation (``manage.py rotate_field_keys``) and a fingerprint backfill (migration ``roster
0007``) touch every login code and ECK iD in the country (1.37 M codes). Done in one
transaction, that locks the codes table's rows for minutes and every coordinator changing a
code waits. Here each batch of rows is read without a lock, its new values are computed
(decrypting, encrypting, fingerprinting: the slow part) still without a lock, and then written
by one ``UPDATE`` that is a transaction of its own and a compare-and-set:

- it takes its rows with ``FOR UPDATE SKIP LOCKED``, so a row a coordinator is changing right
  now is skipped rather than waited for;
- it writes a row only if its sealed value is still the one read, so a coordinator's change
  made in between is never overwritten;
- PostgreSQL cancels it after ``LOCK_LIMIT`` (``statement_timeout``), which releases its locks;
  the batch is then written again in halves.

So a row is locked only while that one statement runs, never while Python works, and never
longer than ``LOCK_LIMIT`` however slow the machine. The rows skipped, changed meanwhile or
cancelled are read and computed again in a later round. Every row is re-sealed exactly once;
rows still held by others after ``HOLD_WAIT_SECONDS`` are left and reported (``RowsStillHeld``),
so a run always ends and a second run finishes them.

Called inside a transaction of the caller's (a test's), the statement is part of that
transaction and its locks last until the caller commits; the limit is then not set.
"""

from __future__ import annotations

import time

from django.db import OperationalError, connection
from django.db.models import BooleanField, ExpressionWrapper, Q

from bingel_admin import crypto

# Rows read, computed and written together: the write of 500 rows by primary key takes a few
# milliseconds.
BATCH = 500
# The longest one write may hold its rows locked; a coordinator may wait at most a second.
LOCK_LIMIT_MS = 500
# Pause before taking again the rows a coordinator held: their transactions are short.
RETRY_PAUSE = 0.05
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
_CANCELLED = "57014"
# How long rows held by others are taken again before the run gives up on them (a transaction
# left open, a database that keeps stalling): the run always ends, and says what is left.
HOLD_WAIT_SECONDS = 600


class RowsStillHeld(Exception):
    """Some rows could not be re-sealed within ``HOLD_WAIT_SECONDS``; everything else was."""

    def __init__(self, model, left: int, done: int):
        super().__init__(f"{left} {model._meta.db_table} rows held by other sessions were not re-sealed")
        self.model, self.left, self.done = model, left, done


def reseal(
    model, field: str, fingerprint_field: str | None = None, *, rotate: bool = True, where: Q | None = None, batch=BATCH
) -> int:
    """Re-encrypt ``field`` under the newest key (``rotate``) and recompute ``fingerprint_field``
    for every row with a value (and matching ``where``); returns how many rows were done.

    Works on historical models too, so a migration can call it (outside its own transaction:
    ``atomic = False``).
    """
    wanted = ~Q(**{field: ""}) & (where if where is not None else Q())
    rows = model.objects.filter(wanted)
    # The next batch is read along the primary key whatever ``where`` says: the rows it wants
    # are picked out of each window of keys in Python. Asked for the wanted rows after a key,
    # PostgreSQL may scan the whole table for every batch (it did, when its statistics said
    # few rows lacked a fingerprint).
    window = model.objects.annotate(wanted=ExpressionWrapper(wanted, output_field=BooleanField())).order_by("pk")
    fields = ([field] if rotate else []) + ([fingerprint_field] if fingerprint_field else [])

    def compute(read):
        updates = []
        for pk, token in read:
            secret = crypto.decrypt(token)
            values = [token if crypto.is_current(token) else crypto.encrypt(secret)] if rotate else []
            if fingerprint_field:
                values.append(crypto.fingerprint(secret))
            updates.append((pk, token, *values))
        return updates

    done, last, pending = 0, 0, []
    while True:
        # The next batch, read without a lock.
        read = list(window.filter(pk__gt=last).values_list("pk", field, "wanted")[:batch])
        if not read:
            break
        last = read[-1][0]
        updates = compute([(pk, token) for pk, token, want in read if want])
        written = _write(model, field, fields, updates)
        done += len(written)
        pending.extend(row[0] for row in updates if row[0] not in written)
    give_up = time.monotonic() + HOLD_WAIT_SECONDS
    while pending:
        if time.monotonic() > give_up:
            raise RowsStillHeld(model, len(pending), done)
        time.sleep(RETRY_PAUSE)
        left = []
        for start in range(0, len(pending), batch):
            # Read again: a row a coordinator changed has a new value; a row deleted is gone.
            read = list(rows.filter(pk__in=pending[start : start + batch]).values_list("pk", field))
            updates = compute(read)
            written = _write(model, field, fields, updates)
            done += len(written)
            left.extend(row[0] for row in updates if row[0] not in written)
        pending = left
    return done


def _write(model, field, fields, updates) -> set[int]:
    """Write ``updates`` by compare-and-set; a write cancelled at the limit is tried again in halves
    (a single row cancelled is left for the next round). Returns the keys written."""
    if not updates:
        return set()
    if connection.vendor != "postgresql":
        return _compare_and_set_plainly(model, field, fields, updates)
    try:
        return _compare_and_set(model, field, fields, updates)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _CANCELLED:
            raise
    if len(updates) == 1:
        return set()
    half = len(updates) // 2
    return _write(model, field, fields, updates[:half]) | _write(model, field, fields, updates[half:])


def _compare_and_set(model, field, fields, updates) -> set[int]:
    """One statement: lock the rows of ``updates`` (``(pk, value read, *new values of fields)``)
    that nobody holds and that still have the value read, write their new values, return their keys."""
    meta = model._meta
    table, pk = meta.db_table, meta.pk.column
    old = meta.get_field(field).column
    columns = [meta.get_field(name) for name in fields]
    names = ", ".join(f'"{c.column}"' for c in columns)
    assignments = ", ".join(f'"{c.column}" = v."{c.column}"::{c.db_type(connection)}' for c in columns)
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 2)) + ")"
    sql = (
        f"WITH v (id, old, {names}) AS (VALUES {', '.join([row_sql] * len(updates))}), "  # noqa: S608 - names come from the model, values are parameters
        f'free AS (SELECT t."{pk}" FROM "{table}" t JOIN v ON t."{pk}" = v.id::bigint AND t."{old}" = v.old '
        f"FOR UPDATE OF t SKIP LOCKED) "
        f'UPDATE "{table}" t SET {assignments} FROM v JOIN free ON free."{pk}" = v.id::bigint '
        f'WHERE t."{pk}" = v.id::bigint AND t."{old}" = v.old RETURNING t."{pk}"'
    )
    params = [value for row in updates for value in row]
    limited = not connection.in_atomic_block
    with connection.cursor() as cursor:
        if limited:
            cursor.execute(
                "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, false)",
                [f"{LOCK_LIMIT_MS}ms"],
            )
            before = cursor.fetchone()[0]
        try:
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall()}
        finally:
            if limited:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", [before])


def _compare_and_set_plainly(model, field, fields, updates) -> set[int]:
    """The same, row by row, for SQLite (the local demo), which has neither row locks nor a limit."""
    written = set()
    for pk, token, *values in updates:
        if model.objects.filter(pk=pk, **{field: token}).update(**dict(zip(fields, values, strict=True))):
            written.add(pk)
    return written
