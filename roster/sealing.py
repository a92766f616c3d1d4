"""Re-seal stored secrets in short batches that never make a coordinator wait.

Key rotation (``manage.py rotate_field_keys``) and a fingerprint backfill (migration ``roster
0007``) touch every login code and ECK iD in the country (1.37 M codes). Done in one
transaction, that locks the codes table's rows for minutes and every coordinator changing a
code waits. Here each batch is its own short transaction: its rows are locked with ``FOR
UPDATE SKIP LOCKED``, so a row a coordinator is changing right now is skipped rather than
waited for, and taken again in a later round once the coordinator has committed. Every row is
re-sealed exactly once; a coordinator's change is never overwritten (the batch reads the value
it writes back under its own lock).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import Q

from bingel_admin import crypto
from roster.bulk import update_values

# Rows per transaction: a few milliseconds of AES-GCM and HMAC, well under the second a
# coordinator may wait for a row the batch holds.
BATCH = 500
# Pause before taking again the rows a coordinator held: their transactions are short.
RETRY_PAUSE = 0.05


def reseal(
    model, field: str, fingerprint_field: str | None = None, *, rotate: bool = True, where: Q | None = None, batch=BATCH
) -> int:
    """Re-encrypt ``field`` under the newest key (``rotate``) and recompute ``fingerprint_field``
    for every row with a value (and matching ``where``); returns how many rows were done.

    Works on historical models too, so a migration can call it (outside its own transaction:
    ``atomic = False``).
    """
    rows = model.objects.exclude(**{field: ""})
    if where is not None:
        rows = rows.filter(where)
    fields = ([field] if rotate else []) + ([fingerprint_field] if fingerprint_field else [])
    done, last, pending = 0, 0, []
    while True:
        # The next batch's keys, read without a lock; rows a coordinator holds are kept for later.
        keys = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not keys:
            break
        last = keys[-1]
        taken = _reseal_batch(rows, keys, field, fields, fingerprint_field, rotate)
        done += len(taken)
        pending.extend(pk for pk in keys if pk not in taken)
    while pending:
        time.sleep(RETRY_PAUSE)
        taken: set[int] = set()
        for start in range(0, len(pending), batch):
            taken |= _reseal_batch(rows, pending[start : start + batch], field, fields, fingerprint_field, rotate)
        done += len(taken)
        # A row deleted meanwhile is neither taken nor found again.
        pending = list(rows.filter(pk__in=[pk for pk in pending if pk not in taken]).values_list("pk", flat=True))
    return done


def _reseal_batch(rows, keys, field, fields, fingerprint_field, rotate) -> set[int]:
    with transaction.atomic():
        locked = rows.select_for_update(skip_locked=True).filter(pk__in=keys).values_list("pk", field)
        updates = []
        for pk, token in locked:
            secret = crypto.decrypt(token)
            values = [token if crypto.is_current(token) else crypto.encrypt(secret)] if rotate else []
            if fingerprint_field:
                values.append(crypto.fingerprint(secret))
            updates.append((pk, *values))
        update_values(rows.model, fields, updates)
    return {row[0] for row in updates}
