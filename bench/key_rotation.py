"""Benchmark of key rotation and the fingerprint backfill beside the day's work.

    .venv/bin/python bench/key_rotation.py [--scale 1] [--no-write]

On a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_keys, recreated every run):

  setup     1,370,000 × scale pupils in schools of 226, each with a login code and an ECK iD
            sealed under the old keys (not timed);
  rotation  ``manage.py rotate_field_keys`` under a new FIELD_ENCRYPTION_KEYS key and a new
            FIELD_FINGERPRINT_KEY: every code and ECK iD re-sealed, every fingerprint recomputed;
  backfill  every code's fingerprint emptied, then filled again by migration ``roster 0007``'s
            own function (``fill_fingerprints``), as a rollout of such a migration would.

Both run in short batches (roster.sealing); the longest batch transaction, which is the longest
any code row is locked, is measured as well. Figures are printed and written to the "Key
rotation and fingerprint backfill" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import os
import platform
import time

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
    from roster.models import Group, Pupil, PupilLoginCode, School

    call_command("migrate", "--noinput", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = "bench-fingerprint-key-before-the-rotation-0123"
    codes = int(NATIONAL_CODES * args.scale)
    began = time.perf_counter()
    for first in range(0, codes, PUPILS_PER_SCHOOL):
        n = first // PUPILS_PER_SCHOOL
        school = School.objects.create(name=f"School {n}", brin=f"{n:04d}", basispoort_id=900_000 + n)
        group = Group.objects.create(school=school, las_key="G1", name="Groep 5", jaargroep="5")
        pupils = []
        for i in range(first, min(first + PUPILS_PER_SCHOOL, codes)):
            eckid = f"https://ketenid.nl/201703/{i:064x}"
            sealed, fingerprint = crypto.encrypt(eckid), crypto.fingerprint(eckid)
            pupils.append(
                Pupil(
                    school=school,
                    group=group,
                    basispoort_id=i + 1,
                    first_name=f"Kind{i}",
                    eckid_encrypted=sealed,
                    eckid_fingerprint=fingerprint,
                )
            )
        Pupil.objects.bulk_create(pupils)
        PupilLoginCode.objects.bulk_create(
            PupilLoginCode(pupil=p, method="cijfers", code_encrypted=crypto.encrypt(code), code_fingerprint=fp)
            for p, code, fp in (
                (p, f"{p.basispoort_id:06d}", crypto.fingerprint(f"{p.basispoort_id:06d}")) for p in pupils
            )
        )
    print(f"setup: {codes:,} codes and ECK iDs in {time.perf_counter() - began:.1f} s", flush=True)

    # The longest batch transaction: the longest any row of the codes table is locked.
    longest = {"seconds": 0.0}
    real_batch = sealing._reseal_batch

    def timed_batch(*batch_args):
        start = time.perf_counter()
        try:
            return real_batch(*batch_args)
        finally:
            longest["seconds"] = max(longest["seconds"], time.perf_counter() - start)

    sealing._reseal_batch = timed_batch
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = "bench-fingerprint-key-after-the-rotation-01234"
    began = time.perf_counter()
    call_command("rotate_field_keys", stdout=io.StringIO())
    rotation = time.perf_counter() - began
    rotation_longest = longest["seconds"]
    sample = PupilLoginCode.objects.order_by("?").first()
    assert crypto.is_current(sample.code_encrypted)
    assert sample.code_fingerprint == crypto.fingerprint(crypto.decrypt(sample.code_encrypted))
    print(f"rotation: {rotation:.1f} s, longest batch {rotation_longest * 1000:.0f} ms", flush=True)

    PupilLoginCode.objects.update(code_fingerprint="")
    migration = importlib.import_module("roster.migrations.0007_pupillogincode_code_fingerprint")
    longest["seconds"] = 0.0
    began = time.perf_counter()
    migration.fill_fingerprints(apps, None)
    backfill = time.perf_counter() - began
    backfill_longest = longest["seconds"]
    assert not PupilLoginCode.objects.filter(code_fingerprint="").exists()
    print(f"backfill: {backfill:.1f} s, longest batch {backfill_longest * 1000:.0f} ms", flush=True)
    connection.close()

    if args.no_write:
        return
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    measured = dt.datetime.now(tz=dt.UTC).date()
    rotated = f"{rotation:.1f} s | {2 * codes / rotation:,.0f} | {rotation_longest * 1000:.0f} ms"
    filled = f"{backfill:.1f} s | {codes / backfill:,.0f} | {backfill_longest * 1000:.0f} ms"
    worst = max(rotation_longest, backfill_longest)
    verdict = "under" if worst < 1 else "over"
    scope = f"The longest batch, {worst * 1000:.0f} ms, is {verdict} the 1 s a batch may lock the codes table."
    if args.scale < 1:
        scope += " The batches do not grow with the table, so the longest lock should not at national scale either."
    text = f"""{SECTION}

`bench/key_rotation.py --scale {args.scale}` ({codes:,} login codes and as many pupils' ECK iDs; the
country has 1.37 M) on {platform.machine()}, {os.cpu_count()} CPUs, PostgreSQL on the same
machine, load average {load} at the end (measured {measured:%Y-%m-%d}). Batches of {sealing.BATCH} rows,
each its own transaction taking its rows with `FOR UPDATE SKIP LOCKED` (roster/sealing.py).

| | time | rows/s | longest batch (rows locked) |
|---|---|---|---|
| `rotate_field_keys`: codes and ECK iDs re-sealed, fingerprints recomputed | {rotated} |
| migration 0007's backfill of the codes' fingerprints | {filled} |

{scope}
"""
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
