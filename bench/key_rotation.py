"""Benchmark of key rotation and the fingerprint backfill beside the day's work.

    .venv/bin/python bench/key_rotation.py [--scale 1] [--no-write]

On a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_keys, recreated every run):

  setup     1,370,000 × scale pupils in schools of 226, each with a login code and an ECK iD
            sealed under the old keys, written by COPY (not timed);
  rotation  ``manage.py rotate_field_keys`` under a new FIELD_ENCRYPTION_KEYS key and a new
            FIELD_FINGERPRINT_KEY: every code and ECK iD re-sealed, every fingerprint recomputed;
  backfill  every code's fingerprint emptied, then filled again by migration ``roster 0007``'s
            own function (``fill_fingerprints``), as a rollout of such a migration would.

Both run in batches whose rows are locked only by one compare-and-set write (roster.sealing).
Per table (codes, ECK iDs) the longest write is timed, and a thread watches ``pg_locks`` for
the longest the bench's own transaction holds a lock on the table (the same for any code: the
script also runs in an older checkout, whose batches lock while they compute). Wall and CPU
time of the bench's process are printed and written to the "Key rotation and fingerprint
backfill" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import os
import platform
import threading
import time
from collections import Counter

from common import setup_django, write_section

SECTION = "## Key rotation and fingerprint backfill"
NATIONAL_CODES = 1_370_000
PUPILS_PER_SCHOOL = 226
OLD_KEY = "nn2CPdwlfcZrPOf0RlgjTsF2k8w8IuzJ7g3mmvrGJ7I="
NEW_KEY = "0WUbkLnXfzB6Oc0s0TfKnUvg0b8yoUwqkmPFzvWp3y8="


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of the country's 1.37 M codes")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/PERFORMANCE.md alone")
    args = parser.parse_args()
    setup_django("bingel_bench_keys")
    # After django.setup(): the models and the command need the app registry.
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bingel_admin import crypto
    from roster import sealing
    from roster.models import Pupil, PupilLoginCode

    call_command("migrate", "--noinput", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = "bench-fingerprint-key-before-the-rotation-0123"
    codes = int(NATIONAL_CODES * args.scale)
    began = time.perf_counter()
    build(codes)
    print(f"setup: {codes:,} codes and ECK iDs in {time.perf_counter() - began:.1f} s", flush=True)
    tables = {PupilLoginCode._meta.db_table: "codes", Pupil._meta.db_table: "ECK iDs"}

    # Two views of the longest a batch keeps rows locked, per table: the longest write call as
    # timed here (sealing._compare_and_set: its statement is its own transaction), and what
    # PostgreSQL shows: how long the bench's own transaction has held a lock other than ACCESS
    # SHARE on the table, sampled every 10 ms in pg_locks (the same for any code, so an older
    # checkout can run this script too).
    longest, cancelled = Counter(), Counter()
    real_write = getattr(sealing, "_compare_and_set", None)
    if real_write is not None:

        def timed_write(model, *write_args):
            # The backfill passes the migration's historical model: known by its table.
            name = tables.get(model._meta.db_table, model._meta.db_table)
            start = time.perf_counter()
            try:
                return real_write(model, *write_args)
            except Exception:
                cancelled[name] += 1  # sealing._write tells a cancelled write from others
                raise
            finally:
                longest[name] = max(longest[name], time.perf_counter() - start)

        sealing._compare_and_set = timed_write
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def phase(run):
        longest.clear()
        cancelled.clear()
        watcher = LockWatcher(pid, tables)
        watcher.start()
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        watcher.stop.set()
        watcher.join()
        held, written = dict(watcher.held), dict(longest)
        return {"wall": wall, "cpu": cpu, "written": written, "held": held, "cancelled": dict(cancelled)}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = "bench-fingerprint-key-after-the-rotation-01234"
    rotation = phase(lambda: call_command("rotate_field_keys", stdout=io.StringIO()))
    sample = PupilLoginCode.objects.order_by("?").first()
    assert crypto.is_current(sample.code_encrypted)
    assert sample.code_fingerprint == crypto.fingerprint(crypto.decrypt(sample.code_encrypted))
    print(f"rotation: {describe(rotation)}", flush=True)

    PupilLoginCode.objects.update(code_fingerprint="")
    migration = importlib.import_module("roster.migrations.0007_pupillogincode_code_fingerprint")
    backfill = phase(lambda: migration.fill_fingerprints(apps, None))
    assert not PupilLoginCode.objects.filter(code_fingerprint="").exists()
    print(f"backfill: {describe(backfill)}", flush=True)
    connection.close()

    if args.no_write:
        return
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    measured = dt.datetime.now(tz=dt.UTC).date()
    worst = max([*rotation["held"].values(), *backfill["held"].values()], default=0)
    verdict = "under" if worst < 1 else "over"
    scope = f"The longest lock seen, {worst * 1000:.0f} ms, is {verdict} the 1 s a batch may lock a table."
    cancelled = sum(rotation["cancelled"].values()) + sum(backfill["cancelled"].values())
    scope += f" Writes cancelled at the limit and written again in halves: {cancelled}."
    if args.scale < 1:
        scope += " The batches do not grow with the table, so the longest lock should not at national scale either."
    text = f"""{SECTION}

`bench/key_rotation.py --scale {args.scale}` ({codes:,} login codes and as many pupils' ECK iDs; the
country has 1.37 M) on {platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL on the same
machine, load average {load} at the end (measured {measured:%Y-%m-%d}). Batches of {sealing.BATCH} rows
read without a lock and computed, then written by one compare-and-set `UPDATE` that is its own
transaction (`FOR UPDATE SKIP LOCKED`, cancelled after {sealing.LOCK_LIMIT_MS} ms; roster/sealing.py).
"Longest write" is the longest call of that write as timed by the bench (setting the limit, the
statement, reading its result, resetting the limit: an upper bound that also counts the waits of a
client short of CPU); "longest lock" the longest the bench's transaction held a lock other than
ACCESS SHARE on the table, sampled every 10 ms in `pg_locks`. No statement outlived the limit
unless writes were cancelled.

| | rows | time | rows/s | CPU of the bench | longest write: codes / ECK iDs | longest lock: codes / ECK iDs |
|---|---|---|---|---|---|---|
| `rotate_field_keys`: codes and ECK iDs re-sealed, fingerprints recomputed | {row(rotation, 2 * codes)} |
| migration 0007's backfill of the codes' fingerprints | {row(backfill, codes)} |

{scope}
"""
    write_section(SECTION, text)


def build(codes: int) -> None:
    """The schools, one group each, their pupils with a sealed ECK iD and a sealed login code,
    written by COPY (roster.bulk) in chunks of 20 schools; sealing is done here, once per value."""
    from django.utils import timezone

    from bingel_admin import crypto
    from roster.bulk import insert_rows
    from roster.models import Group, Pupil, PupilLoginCode, School

    schools = School.objects.bulk_create(
        School(name=f"School {n}", brin=f"{n:04d}", basispoort_id=900_000 + n)
        for n in range(-(-codes // PUPILS_PER_SCHOOL))
    )
    groups = Group.objects.bulk_create(
        Group(school=school, las_key="G1", name="Groep 5", jaargroep="5") for school in schools
    )
    pupil_fields = ["school_id", "group_id", "basispoort_id", "first_name", "infix", "last_name", "initials"]
    pupil_fields += ["eckid_encrypted", "eckid_fingerprint", "las_key", "jaargroep", "active"]
    code_fields = ["pupil_id", "method", "code_encrypted", "code_fingerprint", "changed_at"]
    now = timezone.now()
    chunk = 20 * PUPILS_PER_SCHOOL
    for first in range(0, codes, chunk):
        pupils, numbers = [], range(first, min(first + chunk, codes))
        for i in numbers:
            group = groups[i // PUPILS_PER_SCHOOL]
            eckid = f"https://ketenid.nl/201703/{i:064x}"
            sealed = (crypto.encrypt(eckid), crypto.fingerprint(eckid))
            pupils.append((group.school_id, group.pk, i + 1, f"Kind{i}", "", "", "", *sealed, "", "5", True))
        ids = insert_rows(Pupil, pupil_fields, pupils, ids=True)
        login = [f"{i + 1:06d}" for i in numbers]
        insert_rows(
            PupilLoginCode,
            code_fields,
            [
                (pk, "cijfers", crypto.encrypt(code), crypto.fingerprint(code), now)
                for pk, code in zip(ids, login, strict=True)
            ],
        )


class LockWatcher(threading.Thread):
    """The longest (seconds) the transaction of backend ``pid`` has held a lock other than
    ACCESS SHARE on each of ``tables`` (table name → label), sampled every 10 ms."""

    def __init__(self, pid: int, tables: dict[str, str]):
        super().__init__(daemon=True)
        self.pid, self.tables, self.stop, self.held = pid, tables, threading.Event(), Counter()

    def run(self):
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    cursor.execute(
                        "SELECT l.relation::regclass::text, extract(epoch FROM clock_timestamp() - a.xact_start) "
                        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.pid = %s AND l.granted "
                        "AND l.locktype = 'relation' AND l.mode <> 'AccessShareLock'",
                        [self.pid],
                    )
                    for table, seconds in cursor.fetchall():
                        # No transaction start: the backend was between transactions as sampled.
                        if table in self.tables and seconds is not None:
                            label = self.tables[table]
                            self.held[label] = max(self.held[label], float(seconds))
                    time.sleep(0.01)
        finally:
            connection.close()


def ms(figures: dict, label: str) -> str:
    return f"{figures[label] * 1000:,.0f} ms" if label in figures else "–"


def row(result: dict, rows: int) -> str:
    written = f"{ms(result['written'], 'codes')} / {ms(result['written'], 'ECK iDs')}"
    held = f"{ms(result['held'], 'codes')} / {ms(result['held'], 'ECK iDs')}"
    return (
        f"{rows:,} | {result['wall']:.1f} s | {rows / result['wall']:,.0f} | {result['cpu']:.1f} s | {written} | {held}"
    )


def describe(result: dict) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{result['wall']:.1f} s, CPU {result['cpu']:.1f} s; longest write {result['written']}, "
        f"longest lock in pg_locks {result['held']} (seconds); writes cancelled {result['cancelled']}; "
        f"load average {load}"
    )


if __name__ == "__main__":
    main()
