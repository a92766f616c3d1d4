"""Benchmark of "Mijn scholen" for a coordinator of 40 schools of the roster benchmark's size.

Builds, in its own PostgreSQL database, ``--schools`` schools (default 40) the size of the
national average of ``bench/roster_sync.py`` (12 groups of 19 pupils, 10 licences of which 5 per
pupil with some seats taken, 30 nights of import results, a result link) and one coordinator of
all of them, then measures

1. the median server time of "Mijn scholen" and "Kies je school" (in-process Django test client,
   after a warm-up: session, access check, queries and rendering; no network), and
2. the size of "Licentiegebruik downloaden" of those schools as CSV and .xlsx, per school and
   extrapolated to the 6,057 schools of the back office's export.

Run with `make bench-my-schools`. Prints the load average before and after, and a Markdown table.

``--compare DIR`` measures older code against this checkout's, interleaved: DIR is a checkout of
the older code with this file and ``bench/common.py`` copied into its ``bench/``; after building
the schools, a fresh process of each checkout in turn serves ``--rounds`` rounds of requests on
the same database, so both meet the same load.

Each school's card is kept in the pages cache (``portal.cards``), so repeated requests measure a
page whose cards are all kept; ``--changed N`` replaces the page stamps of N of the schools before
each request (as a night of the roster import that changed them), so N cards, and those schools'
pupils' year levels, are read and built again (``--changed 40``: every card).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django

MEASURING = "--measure" in sys.argv
# The page keeps its pupils' year levels in the pages cache, Redis as in production.
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
setup_django("bingel_bench_my_schools", allowed_hosts="127.0.0.1,testserver", recreate=not MEASURING)

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from integrations.models import LvsSupplier, ResultLink  # noqa: E402
from licenses import stamps  # noqa: E402
from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, Seat  # noqa: E402
from portal.attention import RULES, SchoolAttention, facts_of_schools  # noqa: E402
from roster.access import BASISPOORT_ID_SESSION_KEY, coordinated_schools  # noqa: E402
from roster.models import (  # noqa: E402
    Appointment,
    AppointmentRole,
    Group,
    ImportRun,
    Pupil,
    Role,
    School,
    SchoolImportResult,
    Staff,
)
from roster.school_year import next_school_year, school_year_of  # noqa: E402

GROUPS, PUPILS_PER_GROUP, LICENCES, NIGHTS, NATIONAL = 12, 19, 10, 30, 6057
BENCH_STAFF = 999_002


def build(count: int) -> Client:
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    year = school_year_of(today)
    method, _ = Method.objects.get_or_create(code="bench", defaults={"name": "Benchmethode"})
    products = [
        Product.objects.create(
            method=method,
            code=f"bench-{n}",
            name=f"Product {n} – één",
            product_type="oefensoftware",
            year_levels=[str(1 + n % 8), str(2 + n % 7)],
        )
        for n in range(LICENCES)
    ]
    supplier = LvsSupplier.objects.create(
        name="Bench LVS", endpoint_url="https://127.0.0.1/uwlr", klantcode="b", klantnaam="b"
    )
    staff = Staff.objects.create(basispoort_id=BENCH_STAFF, first_name="Bench", last_name="Coördinator")
    runs = []
    for night in range(NIGHTS):
        run = ImportRun.objects.create(trigger="bench", source="bench")
        runs.append((run, today - dt.timedelta(days=night)))
    for s in range(count):
        school = School.objects.create(
            basispoort_id=900_000 + s, name=f"Benchschool {s:02d}", brin=f"{s % 100:02d}BB", dependancecode="00"
        )
        groups = Group.objects.bulk_create(
            [
                Group(school=school, las_key=f"G{i}", name=f"Groep {1 + i % 8}{'ab'[i // 8]}", jaargroep=str(1 + i % 8))
                for i in range(GROUPS)
            ]
        )
        pupils = Pupil.objects.bulk_create(
            [
                Pupil(
                    school=school,
                    basispoort_id=5_000_000 + s * 1000 + i,
                    first_name=f"Kind{i}",
                    last_name="Bank",
                    group=groups[i % GROUPS],
                    jaargroep=groups[i % GROUPS].jaargroep,
                )
                for i in range(GROUPS * PUPILS_PER_GROUP)
            ]
        )
        for n, product in enumerate(products):
            if n % 2:
                licence = Licence.objects.create(
                    school=school, product=product, school_year=year, kind=LicenceKind.PER_PUPIL, seats=15
                )
                Seat.objects.bulk_create([Seat(licence=licence, pupil=p, school=school) for p in pupils[n : n + 13]])
            else:
                licence = Licence.objects.create(
                    school=school, product=product, school_year=year, kind=LicenceKind.PER_GROUP
                )
                wanted = [g for g in groups if g.jaargroep in product.year_levels][:-1]
                GroupLink.objects.bulk_create([GroupLink(licence=licence, group=g, school=school) for g in wanted])
        Licence.objects.create(
            school=school, product=products[0], school_year=next_school_year(year), kind=LicenceKind.PER_GROUP
        )
        results = SchoolImportResult.objects.bulk_create(
            [
                SchoolImportResult(
                    run=run,
                    school=school,
                    basispoort_id=school.basispoort_id,
                    status="failed" if n == s % 7 else "unchanged",
                )
                for n, (run, _day) in enumerate(runs)
            ]
        )
        for result, (_run, day) in zip(results, runs, strict=True):
            result.finished_at = timezone.make_aware(dt.datetime.combine(day, dt.time(2, 10)))
        SchoolImportResult.objects.bulk_update(results, ["finished_at"])
        ResultLink.objects.create(
            school=school,
            supplier=supplier,
            key_encrypted="x",
            key_last4="0000",
            status="actief" if s % 3 else "sleutel_geweigerd",
            consent_by_name="Bench",
            consent_at=timezone.now(),
        )
        appointment = Appointment.objects.create(staff=staff, school=school)
        AppointmentRole.objects.create(appointment=appointment, role=Role.ICT_COORDINATOR)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # plans from real statistics, as a long-running database has
    return coordinator_client()


def coordinator_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-coordinator")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[BASISPOORT_ID_SESSION_KEY] = str(BENCH_STAFF)
    session.save()
    return client


def change(count: int) -> None:
    """As if the roster import changed ``count`` of the schools since the last visit (their page
    stamps replaced): their cards, and their pupils' year levels, are read and built again."""
    if count:
        stamps.bump(sorted(school.pk for school in coordinated_schools(BENCH_STAFF))[:count])


def median_ms(client: Client, url: str, repeat: int, changed: int = 0) -> tuple[float, float, float, float, int]:
    """Median and least wall time, median and least CPU time of this process (Python: the view,
    the ORM and the template, without PostgreSQL's own work), in ms; and the queries."""
    for _ in range(3):
        assert client.get(url).status_code == 200
    wall, cpu = [], []
    for _ in range(repeat):
        change(changed)
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    change(changed)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(wall), min(wall), statistics.median(cpu), min(cpu), len(queries)


def download_bytes(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return sum(len(chunk) for chunk in response.streaming_content)


def breakdown(repeat: int) -> None:
    """Median wall and CPU ms of building every card (reading the facts, applying the rules,
    rendering the cards), and of the cards when all are kept (``portal.cards``)."""
    from portal.cards import CardWords, card_html, school_cards  # not in the older code --compare measures

    schools = coordinated_schools(BENCH_STAFF)
    parts: dict[str, list[tuple[float, float]]] = {"read": [], "rules": [], "render": [], "all kept": []}
    clock: list[float] = []

    def lap(name: str) -> None:
        now = [time.perf_counter(), time.process_time()]
        parts[name].append(((now[0] - clock[0]) * 1000, (now[1] - clock[1]) * 1000))
        clock[:] = now

    school_cards(schools)
    for _ in range(repeat):
        clock[:] = [time.perf_counter(), time.process_time()]
        facts = facts_of_schools(schools)
        lap("read")
        items = [SchoolAttention(f, [m for rule in RULES if (m := rule(f)) is not None]) for f in facts]
        lap("rules")
        words = CardWords()
        for item in items:
            card_html(item, words)
        lap("render")
        school_cards(schools)
        lap("all kept")
    if os.environ.get("BENCH_PROFILE_RULES"):
        cProfile.runctx(
            "[[rule(f) for rule in RULES] for f in facts]", globals(), {"facts": facts, "RULES": RULES}, sort="tottime"
        )
    for name, values in parts.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        least = min(v[1] for v in values)
        print(f"{name}: {wall:.1f} ms wall, {cpu:.1f} ms CPU (least {least:.1f} ms)")


def timings(client: Client, url: str, repeat: int, changed: int = 0) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of ``repeat`` requests, after a warm-up."""
    for _ in range(3):
        assert client.get(url).status_code == 200
    wall, cpu = [], []
    for _ in range(repeat):
        change(changed)
        start, start_cpu = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def compare(older: Path, rounds: int, repeat: int, changed: int) -> None:
    """Older code and this checkout's, a fresh process each in turn, on the database just built."""
    scripts = {"older": older / "bench" / "my_schools.py", "this": Path(__file__).resolve()}
    found: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in scripts}
    queries = {}
    for _ in range(rounds):
        for name, script in scripts.items():
            out = subprocess.run(
                [sys.executable, str(script), "--measure", "--repeat", str(repeat), "--changed", str(changed)],
                cwd=script.parent.parent,  # the set-up puts the working directory on sys.path too
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            found[name]["wall"] += result["wall"]
            found[name]["cpu"] += result["cpu"]
            queries[name] = result["queries"]
            assert result["code"] == str(script.parent.parent), result["code"]
    print(f"load average after: {os.getloadavg()}")
    print("| code | requests | median server time | fastest | app CPU, median | app CPU, least | queries |")
    print("|---|---|---|---|---|---|---|")
    for name, values in found.items():
        wall, cpu = values["wall"], values["cpu"]
        print(
            f"| {name} | {len(wall)} | {statistics.median(wall):.1f} ms | {min(wall):.1f} ms "
            f"| {statistics.median(cpu):.1f} ms | {min(cpu):.1f} ms | {queries[name]} |"
        )
    ratio = statistics.median(found["this"]["cpu"]) / statistics.median(found["older"]["cpu"])
    print(f"app CPU, this / older (medians): {ratio:.2f}")


def measure() -> None:
    """(In a fresh process, on a database built before.) "Mijn scholen" timings as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--changed", type=int, default=0)
    args = parser.parse_args()
    client, url = coordinator_client(), reverse("my_schools")
    wall, cpu = timings(client, url, args.repeat, args.changed)
    change(args.changed)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    code = str(Path(facts_of_schools.__code__.co_filename).parent.parent)  # which checkout served
    print(json.dumps({"wall": wall, "cpu": cpu, "queries": len(queries), "code": code}))


def main() -> None:
    if MEASURING:
        measure()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--compare", type=Path, metavar="DIR", help="older code to measure against, interleaved")
    parser.add_argument("--rounds", type=int, default=6, help="with --compare: turns of each checkout")
    parser.add_argument(
        "--changed", type=int, default=0, metavar="N", help="before each request, N schools changed (their stamps)"
    )
    parser.add_argument("--breakdown", action="store_true", help="time reading, rules and rendering apart, and stop")
    parser.add_argument("--profile", action="store_true", help="print where the page's time goes, and stop")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    client = build(args.schools)
    if args.compare:
        compare(args.compare, args.rounds, args.repeat, args.changed)
        return
    if args.breakdown:
        breakdown(args.repeat)
        return
    if args.profile:
        client.get(reverse("my_schools"))
        sort = os.environ.get("BENCH_SORT", "cumtime")
        cProfile.runctx("client.get(url)", globals(), {"client": client, "url": reverse("my_schools")}, sort=sort)
        return
    rows = []
    for name in ("my_schools", "choose_school"):
        ms, least, cpu, least_cpu, queries = median_ms(client, reverse(name), args.repeat, args.changed)
        rows.append(
            f"| {name} | {args.schools} | {ms:.1f} ms | {least:.1f} ms | {cpu:.1f} ms | {least_cpu:.1f} ms "
            f"| {queries} |"
        )
    sizes = []
    for fmt in ("csv", "xlsx"):
        size = download_bytes(client, reverse("my_schools_usage", args=[fmt]))
        per_school = size / args.schools
        sizes.append(f"| {fmt} | {size:,} B | {per_school:,.0f} B | {per_school * NATIONAL / 1e6:.1f} MB |")
    print(f"load average after: {os.getloadavg()}")
    print("| page | schools | median server time | fastest | app CPU, median | app CPU, least | queries |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| download | these schools | per school | 6,057 schools (extrapolated) |\n|---|---|---|---|")
    print("\n".join(sizes))


if __name__ == "__main__":
    main()
