"""Benchmark of the nightly licence-registry reconciliation at national scale.

    .venv/bin/python bench/registry_reconcile.py [--scale 1.0]      (or: make bench-registry)

On a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_registry, recreated every run) it loads the
national roster of bench/roster_sync.py (6,057 schools, ~1.37 M pupils at scale 1; the feed in
var/bench-feed is generated once and reused) with that benchmark's COPY loader, gives every
school the demo catalogue's ten licences (seven per group, four of them linked to every fitting
group; three per pupil, with seats taken), starts the reference registry as its own process
(HTTPS, client certificates), and measures ``integrations.registry.sync.reconcile`` over every
school:

  (1) into an empty registry: every set is sent;
  (2) again, nothing changed: one digest listing per school, nothing sent;
  (3) after 2 % of the schools unlinked a group, 1 % released a seat and 0.5 % lost a licence:
      exactly those sets are sent.

With ``--check-every-nights N`` (LICENCE_REGISTRY_CHECK_EVERY_NIGHTS) phases (2) and (3) ask the
registry only about tonight's share of the unchanged schools (one in N) and the changed ones.

With ``--celery`` the unchanged night is also run as production runs it, (2c): beat's task
``reconcile_registry`` sent by name to a Celery worker started as docker-compose.yml starts it
(``--concurrency=2``, a Redis broker ``BENCH_REDIS_URL``), which queues the parts that its pool
processes share; it is timed until every school is reconciled. Phase (3) then also runs through
that worker, and its sends are counted from the database.

Figures are printed and written to the "Licence registry reconciliation" section of
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import roster_sync  # noqa: E402 - the national roster builder, from this folder
from common import setup_django, wait_for_port, write_section  # noqa: E402
from roster_celery import Worker  # noqa: E402 - a Celery worker as production starts it

DEFAULT_REDIS = "redis://127.0.0.1:6379/5"

SECTION = "## Licence registry reconciliation"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_world(scale: float, feed_dir: Path) -> int:
    schools = max(1, round(roster_sync.NATIONAL_SCHOOLS * scale))
    feed = feed_dir / f"{schools}" / "night-1"
    started = time.perf_counter()
    roster_sync.generate(feed, schools)
    print(f"Feed of {schools} schools ready in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    roster_sync.baseline(feed)
    print(f"Roster loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return schools


def reuse_roster(scale: float) -> int:
    """The database of an earlier run, its roster kept and everything above it emptied."""
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bingel_bench_registry")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bingel_admin.settings", DATABASE_URL=url, DEBUG="false", DJANGO_ENV="development"
    )
    import django

    django.setup()
    from django.db import connection

    schools = max(1, round(roster_sync.NATIONAL_SCHOOLS * scale))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM roster_school")
        if cursor.fetchone()[0] != schools:
            raise SystemExit(f"--reuse-roster: the database does not hold {schools} schools; run without it")
        cursor.execute(
            "TRUNCATE licenses_seat, licenses_grouplink, licenses_licence, integrations_registryset, "
            "integrations_registryschool RESTART IDENTITY CASCADE"
        )
    return schools


def give_licences() -> dict[str, int]:
    """Every school: the ten demo licences of this school year; four group licences linked, seats taken."""
    from django.db import connection, transaction
    from django.utils import timezone

    from demo.licences import GROUP_PRODUCTS, PUPIL_PRODUCTS, ensure_catalogue
    from roster.school_year import school_year_of

    products = ensure_catalogue()
    year = school_year_of(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the COPY loader leaves the roster tables without statistics
    with transaction.atomic(), connection.cursor() as cursor:
        for n, code in enumerate(GROUP_PRODUCTS):
            cursor.execute(
                "INSERT INTO licenses_licence (school_id, product_id, school_year, kind, order_reference, created_at) "
                "SELECT id, %s, %s, 'per_groep', '', now() FROM roster_school",
                [products[code].pk, year],
            )
            if n % 2 == 0:  # the demo's rule: even licences linked to every fitting group
                cursor.execute(
                    "INSERT INTO licenses_grouplink (licence_id, group_id, school_id, kind, created_at) "
                    "SELECT l.id, g.id, l.school_id, 'per_groep', now() FROM licenses_licence l "
                    "JOIN roster_group g ON g.school_id = l.school_id AND g.active AND NOT g.is_subgroup "
                    "WHERE l.product_id = %s AND g.jaargroep = ANY(%s)",
                    [products[code].pk, products[code].year_levels],
                )
        for code, seats, taken in PUPIL_PRODUCTS:
            cursor.execute(
                "INSERT INTO licenses_licence (school_id, product_id, school_year, kind, seats, order_reference, "
                "created_at) SELECT id, %s, %s, 'per_kind', %s, '', now() FROM roster_school",
                [products[code].pk, year, seats],
            )
            cursor.execute(
                "INSERT INTO licenses_seat (licence_id, pupil_id, school_id, kind, created_at) "
                "SELECT l.id, p.id, l.school_id, 'per_kind', now() FROM licenses_licence l "
                "JOIN LATERAL (SELECT id FROM roster_pupil WHERE school_id = l.school_id AND active "
                "ORDER BY id LIMIT %s) p ON true WHERE l.product_id = %s",
                [taken, products[code].pk],
            )
        cursor.execute("ANALYZE")
        counts = {}
        for table in ("licenses_licence", "licenses_grouplink", "licenses_seat", "roster_pupil", "roster_school"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    return counts


def change_some() -> int:
    """Changes made behind the push's back (as if every push had been lost); returns the sets that changed."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE changed (school_id bigint, product_id bigint) ON COMMIT DROP")
        # 2 % of schools: one group unlinked from one licence.
        cursor.execute(
            "CREATE TEMP TABLE pick_link ON COMMIT DROP AS SELECT DISTINCT ON (l.school_id) gl.id, l.school_id, "
            "l.product_id FROM licenses_grouplink gl JOIN licenses_licence l ON l.id = gl.licence_id "
            "WHERE l.school_id % 50 = 7 ORDER BY l.school_id, gl.id"
        )
        cursor.execute("DELETE FROM licenses_grouplink WHERE id IN (SELECT id FROM pick_link)")
        cursor.execute("INSERT INTO changed SELECT school_id, product_id FROM pick_link")
        # 1 % of schools: one seat released.
        cursor.execute(
            "CREATE TEMP TABLE pick_seat ON COMMIT DROP AS SELECT DISTINCT ON (s.school_id) s.id, s.school_id, "
            "l.product_id FROM licenses_seat s JOIN licenses_licence l ON l.id = s.licence_id "
            "WHERE s.school_id % 100 = 3 ORDER BY s.school_id, s.id"
        )
        cursor.execute("DELETE FROM licenses_seat WHERE id IN (SELECT id FROM pick_seat)")
        cursor.execute("INSERT INTO changed SELECT school_id, product_id FROM pick_seat")
        # 0.5 % of schools: one licence withdrawn, with its links and seats.
        cursor.execute(
            "CREATE TEMP TABLE pick_licence ON COMMIT DROP AS SELECT DISTINCT ON (school_id) id, school_id, "
            "product_id FROM licenses_licence WHERE school_id % 200 = 11 ORDER BY school_id, id"
        )
        for table in ("licenses_grouplink", "licenses_seat"):
            cursor.execute(f"DELETE FROM {table} WHERE licence_id IN (SELECT id FROM pick_licence)")  # noqa: S608
        cursor.execute("DELETE FROM licenses_licence WHERE id IN (SELECT id FROM pick_licence)")
        cursor.execute("INSERT INTO changed SELECT school_id, product_id FROM pick_licence")
        cursor.execute("SELECT count(*) FROM (SELECT DISTINCT school_id, product_id FROM changed) c")
        return cursor.fetchone()[0]


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def measure(label: str) -> dict:
    from django.db import connection

    from integrations.registry import sync

    counter = QueryCounter()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu = time.process_time()
    with connection.execute_wrapper(counter):
        report = sync.reconcile()
    wall = time.perf_counter() - started
    row = {
        "label": label,
        "wall": wall,
        "cpu": time.process_time() - cpu,
        "schools": report.schools,
        "compared": report.sets_compared,
        "sends": report.sends,
        "put": report.sent["put"],
        "delete": report.sent["delete"],
        "failed": len(report.failed_schools),
        "asked": report.asked,
        "queries": counter.n,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The machine's 1-minute load average before and after: the app, the registry and
        # PostgreSQL share its CPUs with whatever else runs, and wall time depends on it.
        "load": (load_before, os.getloadavg()[0]),
    }
    print(
        f"{label}: {wall:.1f} s wall, {row['cpu']:.1f} s CPU, {report.schools} schools, {report.sets_compared} sets "
        f"compared, {report.asked} schools asked, {report.sends} sent "
        f"({report.sent['put']} PUT, {report.sent['delete']} DELETE), "
        f"{row['failed']} schools failed, {counter.n} queries, load {row['load'][0]:.1f} → {row['load'][1]:.1f}",
        flush=True,
    )
    return row


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_celery(label: str, worker: Worker, broker: str, registry_pid: int) -> dict:
    """Beat's task sent by name to the running worker; timed until every school in scope is reconciled."""
    from celery import Celery
    from django.db.models import Q
    from django.utils import timezone

    from integrations.models import RegistrySchool, RegistrySet
    from integrations.registry import sync

    schools = len(sync.schools_in_scope())
    cpu_before, _ = worker.measure()
    registry_cpu = _cpu_of(registry_pid)
    load_before = os.getloadavg()[0]
    since = timezone.now()
    started = time.perf_counter()
    Celery("bench", broker=broker).send_task("integrations.tasks.reconcile_registry")
    while True:
        done = RegistrySchool.objects.filter(Q(last_success_at__gte=since) | Q(attempts__gt=0)).count()
        if done >= schools:
            break
        if not worker.alive():
            raise SystemExit(f"the Celery worker stopped; see {worker.log}")
        time.sleep(0.05)
    wall = time.perf_counter() - started
    cpu_after, rss = worker.measure()
    sent = RegistrySet.objects.filter(sent_at__gte=since)
    puts, deletes = sent.filter(deleted=False).count(), sent.filter(deleted=True).count()
    failed = RegistrySchool.objects.filter(attempts__gt=0).count()
    row = {
        "label": label,
        "wall": wall,
        "cpu": cpu_after - cpu_before,
        "schools": schools,
        "compared": None,
        "sends": puts + deletes,
        "put": puts,
        "delete": deletes,
        "failed": failed,
        "asked": None,
        "queries": None,
        "rss": max(rss),
        "load": (load_before, os.getloadavg()[0]),
        "registry_cpu": _cpu_of(registry_pid) - registry_cpu,
    }
    print(
        f"{label}: {wall:.1f} s wall, {row['cpu']:.1f} s CPU (worker processes), registry {row['registry_cpu']:.1f} s "
        f"CPU, {schools} schools, {row['sends']} sent ({puts} PUT, {deletes} DELETE), {failed} schools failed, "
        f"load {row['load'][0]:.1f} → {row['load'][1]:.1f}",
        flush=True,
    )
    return row


def start_worker(args, port: int, pki, broker: str) -> Worker:
    import redis

    redis.Redis.from_url(broker).delete("celery", "unacked", "unacked_index", "unacked_mutex")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bingel_admin.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LICENCE_REGISTRY_URL": f"https://127.0.0.1:{port}/rest/v1/",
        "LICENCE_REGISTRY_CLIENT_CERT": str(pki.client),
        "LICENCE_REGISTRY_CA_BUNDLE": str(pki.ca),
        "LICENCE_REGISTRY_WORKERS": str(args.workers),
        "LICENCE_REGISTRY_CHECK_EVERY_NIGHTS": str(args.check_every_nights),
    }
    return Worker(env, ROOT / "var" / "bench-registry-worker.log", args.concurrency)


def write_report(lines: list[str]) -> None:
    write_section(SECTION, SECTION + "\n\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the 6,057 schools (default 1).")
    parser.add_argument("--feed-dir", default=str(ROOT / "var" / "bench-feed"))
    parser.add_argument("--workers", type=int, default=8, help="concurrent requests to the registry")
    parser.add_argument(
        "--check-every-nights",
        type=int,
        default=1,
        help="LICENCE_REGISTRY_CHECK_EVERY_NIGHTS for phases (2) and (3) (default 1: every school every night).",
    )
    parser.add_argument(
        "--celery",
        action="store_true",
        help="Also run the unchanged night, and run phase (3), through a Celery worker as in production.",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="Pool processes of that worker (production: 2).")
    parser.add_argument("--no-report", action="store_true", help="Print only; leave docs/PERFORMANCE.md alone.")
    parser.add_argument(
        "--reuse-roster", action="store_true", help="Keep the roster an earlier run loaded; start over from licences."
    )
    args = parser.parse_args()

    os.environ.pop("REDIS_URL", None)
    if args.reuse_roster:
        schools = reuse_roster(args.scale)
        from django.conf import settings
    else:
        setup_django("bingel_bench_registry")
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        schools = load_world(args.scale, Path(args.feed_dir))
    started = time.perf_counter()
    counts = give_licences()
    print(f"Licences in {time.perf_counter() - started:.0f} s: {counts}", flush=True)

    from demo.reference_registry import make_pki

    pki = make_pki(ROOT / "var" / "bench-registry-pki")
    port = free_port()
    log = ROOT / "var" / "bench-registry.log"
    with log.open("w") as out:
        registry = subprocess.Popen(
            [sys.executable, "-m", "demo.reference_registry", "--port", str(port), "--pki", str(pki.ca.parent)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port)
        settings.LICENCE_REGISTRY_URL = f"https://127.0.0.1:{port}/rest/v1/"
        settings.LICENCE_REGISTRY_CLIENT_CERT = str(pki.client)
        settings.LICENCE_REGISTRY_CA_BUNDLE = str(pki.ca)
        settings.LICENCE_REGISTRY_WORKERS = args.workers
        first = measure("(1) empty registry: every set sent")
        settings.LICENCE_REGISTRY_CHECK_EVERY_NIGHTS = args.check_every_nights
        second = measure("(2) nothing changed")
        rows = [first, second]
        if args.celery:
            broker = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
            worker = start_worker(args, port, pki, broker)
            try:
                rows.append(
                    measure_celery(
                        f"(2c) nothing changed, through Celery ({args.concurrency} pool processes)",
                        worker,
                        broker,
                        registry.pid,
                    )
                )
                changed = change_some()
                print(f"Changed sets: {changed}", flush=True)
                rows.append(
                    measure_celery(
                        "(3c) 2 % unlinked a group, 1 % released a seat, 0.5 % lost a licence, through Celery",
                        worker,
                        broker,
                        registry.pid,
                    )
                )
            finally:
                worker.stop()
        else:
            changed = change_some()
            print(f"Changed sets: {changed}", flush=True)
            rows.append(measure("(3) 2 % unlinked a group, 1 % released a seat, 0.5 % lost a licence"))
        registry_rss = _rss_of(registry.pid)
    finally:
        registry.terminate()
        registry.wait(timeout=10)
    assert all(r["failed"] == 0 for r in rows), "schools failed"
    assert all(r["sends"] == 0 for r in rows[1:-1]), "an unchanged night sent sets"
    assert rows[-1]["sends"] == changed, f"sent {rows[-1]['sends']} sets, {changed} changed"

    lines = [
        f"`make bench-registry` (`bench/registry_reconcile.py --scale {args.scale:g}`): {schools:,} schools, "
        f"{counts['roster_pupil']:,} pupils, {counts['licenses_licence']:,} licences "
        f"({counts['licenses_grouplink']:,} group links, {counts['licenses_seat']:,} seats), "
        f"reconciled over mutual TLS with the reference registry running as its own process on the same "
        f"machine ({os.cpu_count()} CPUs), {args.workers} concurrent requests, "
        f"`LICENCE_REGISTRY_CHECK_EVERY_NIGHTS={args.check_every_nights}` in phases (2) and (3). "
        "Load is the machine's 1-minute load average.",
        "",
        "| phase | wall | CPU (app) | schools | asked | sets compared | sent (PUT + DELETE) | queries "
        "| peak RSS (app) | load before → after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def figure(value) -> str:
        return "–" if value is None else f"{value:,}"

    for r in rows:
        lines.append(
            f"| {r['label']} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['schools']:,} | {figure(r['asked'])} "
            f"| {figure(r['compared'])} | "
            f"{r['sends']:,} ({r['put']:,} + {r['delete']:,}) | {figure(r['queries'])} | {r['rss']:.0f} MB | "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |"
        )
    lines += [
        "",
        f"- Only changed sets are sent: phase (2) sends nothing, phase (3) sends exactly the {changed:,} sets "
        "whose users changed or whose licence went (checked by the benchmark itself, which fails otherwise).",
        "- Per chunk of schools (`LICENCE_REGISTRY_CHUNK_SIZE`, 200) the database work is a fixed number of "
        "queries; the per-school cost is one `GET licenties/{id}` to the registry (for the schools asked).",
        f"- The reference registry process peaked at {registry_rss} of memory holding every set.",
    ]
    if args.celery:
        lines.append(
            "- Rows marked (c): beat's task sent by name to a Celery worker already running "
            f"(`--concurrency={args.concurrency}`, Redis broker), timed until every school is reconciled; CPU is "
            "the worker's main and pool processes, peak RSS the largest of them; sends are the sets confirmed "
            "since the task was sent, counted in the database (queries and sets compared are not counted there). "
            "The reference registry's CPU: "
            + ", ".join(f"{r['registry_cpu']:.1f} s in {r['label'][:4]}" for r in rows if "registry_cpu" in r)
            + "."
        )
    print("\n".join(lines))
    if not args.no_report:
        write_report(lines)


def _rss_of(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return f"{int(line.split()[1]) / 1024:.0f} MB"
    except OSError:
        pass
    return "an unknown amount"


if __name__ == "__main__":
    main()
