"""Benchmark of the back office's "Licentiegebruik downloaden" of every school (the publisher's export).

Builds, in its own PostgreSQL database, ``--schools`` schools (default 6,057, the national count)
with the licences of ``bench/my_schools.py`` (10 of this school year — 5 per pupil with 13 seats
taken, 5 per group linked to all but one group of their year levels — and one of next year),
inserted in batches of many schools at once. Only the pupils that hold a seat are made: the export
reads licences, seats and group links, never the pupils themselves.

Then it downloads the CSV and the ``.xlsx`` through the back office's own URL (Django test client,
logged in as a superuser), each in a fresh process so that process's memory is the download's
alone, and prints per file: its size and rows, the wall and CPU time, the queries, and the
process's resident memory before the download and at its highest during it (sampled every 5 ms).

Run with `make bench-usage-export` (national: some minutes to build).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django

MEASURING = "--measure" in sys.argv
os.environ.pop("REDIS_URL", None)
setup_django("bingel_bench_usage_export", allowed_hosts="127.0.0.1,testserver", recreate=not MEASURING)

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, Seat  # noqa: E402
from roster.models import Group, Pupil, School  # noqa: E402
from roster.school_year import next_school_year, school_year_of  # noqa: E402

GROUPS, LICENCES, SEATS_TAKEN, NATIONAL, BATCH = 12, 10, 13, 6057, 250
PAGE = os.sysconf("SC_PAGE_SIZE")


def build(count: int) -> None:
    call_command("migrate", verbosity=0)
    year = school_year_of(timezone.localdate())
    method = Method.objects.create(code="bench", name="Benchmethode")
    products = Product.objects.bulk_create(
        [
            Product(
                method=method,
                code=f"bench-{n}",
                name=f"Product {n} – één",
                product_type="oefensoftware",
                year_levels=[str(1 + n % 8), str(2 + n % 7)],
            )
            for n in range(LICENCES)
        ]
    )
    for start in range(0, count, BATCH):
        numbers = range(start, min(count, start + BATCH))
        schools = School.objects.bulk_create(
            [
                School(basispoort_id=900_000 + s, name=f"Benchschool {s:04d} ’t Één", brin=f"{s % 100:02d}BB")
                for s in numbers
            ]
        )
        groups = Group.objects.bulk_create(
            [
                Group(school=school, las_key=f"G{i}", name=f"Groep {1 + i % 8}{'ab'[i // 8]}", jaargroep=str(1 + i % 8))
                for school in schools
                for i in range(GROUPS)
            ]
        )
        seat_holders = LICENCES + SEATS_TAKEN  # the seats of licence n go to pupils n .. n + 12
        pupils = Pupil.objects.bulk_create(
            [
                Pupil(school=school, basispoort_id=i, first_name=f"Kind{i}", last_name="Bank")
                for school in schools
                for i in range(seat_holders)
            ]
        )
        licences = Licence.objects.bulk_create(
            [
                Licence(
                    school=school,
                    product=product,
                    school_year=year,
                    kind=LicenceKind.PER_PUPIL if n % 2 else LicenceKind.PER_GROUP,
                    seats=15 if n % 2 else None,
                )
                for school in schools
                for n, product in enumerate(products)
            ]
            + [
                Licence(
                    school=school, product=products[0], school_year=next_school_year(year), kind=LicenceKind.PER_GROUP
                )
                for school in schools
            ]
        )
        seats, links = [], []
        for s, school in enumerate(schools):
            own_groups = groups[s * GROUPS : (s + 1) * GROUPS]
            own_pupils = pupils[s * seat_holders : (s + 1) * seat_holders]
            for n, product in enumerate(products):
                licence = licences[s * LICENCES + n]
                if n % 2:
                    seats += [Seat(licence=licence, pupil=p, school=school) for p in own_pupils[n : n + SEATS_TAKEN]]
                else:
                    wanted = [g for g in own_groups if g.jaargroep in product.year_levels][:-1]
                    links += [GroupLink(licence=licence, group=g, school=school) for g in wanted]
        Seat.objects.bulk_create(seats, batch_size=5000)
        GroupLink.objects.bulk_create(links, batch_size=5000)
        print(f"  {numbers.stop:,} schools", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def measure(fmt: str) -> dict:
    """Download one file through the back office in this (fresh) process; sizes in bytes, times in ms."""
    user, _ = get_user_model().objects.get_or_create(username="bench-publisher", defaults={"is_staff": True})
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # the second factor, as the admin's login form sets it
    session.save()
    assert (
        client.get(reverse("admin:index")).status_code == 200
    )  # the admin's own first-request work is not the download's
    gc.collect()
    before, peak_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    highest = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            highest[0] = max(highest[0], rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start, start_cpu = time.perf_counter(), time.process_time()
    size = lines = 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:licenses_licence_usage_{fmt}"))
        assert response.status_code == 200
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        response.close()
    wall, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000
    done.set()
    sampler.join()
    return {
        "fmt": fmt,
        "bytes": size,
        "rows": lines - 1 if fmt == "csv" else None,
        "wall_ms": wall,
        "cpu_ms": cpu,
        "queries": len(queries),
        "rss_before": before,
        "rss_peak": max(highest[0], rss()),
        "maxrss_before": peak_before,
        "maxrss_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "sql": [query["sql"][:60] for query in queries.captured_queries],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=NATIONAL)
    parser.add_argument("--measure", choices=["csv", "xlsx"], help="(internal) download one file and print figures")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    print(f"load average before: {os.getloadavg()}")
    start = time.perf_counter()
    build(args.schools)
    print(f"built {args.schools:,} schools in {time.perf_counter() - start:.0f} s; load average {os.getloadavg()}")
    print("| file | schools | licences | size | wall | CPU | queries | RSS before | RSS highest | growth |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    licences = Licence.objects.count()
    for fmt in ("csv", "xlsx"):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", fmt], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        mb = 1e6
        before, peak = r["rss_before"] / mb, r["rss_peak"] / mb
        print(
            f"| {fmt} | {args.schools:,} | {licences:,} | {r['bytes'] / mb:.1f} MB | {r['wall_ms'] / 1000:.1f} s "
            f"| {r['cpu_ms'] / 1000:.1f} s | {r['queries']} "
            f"| {before:.0f} MB | {peak:.0f} MB | {peak - before:.1f} MB |",
            flush=True,
        )
        if r["rows"] is not None:
            print(f"  (csv rows: {r['rows']:,})")
        print(
            f"  ({fmt}: the process's highest RSS before the download {r['maxrss_before'] / mb:.0f} MB, "
            f"after it {r['maxrss_process'] / mb:.0f} MB; queries: {r['sql']})"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
