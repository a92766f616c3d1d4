"""Load test: 50 coordinators at work while the night's work runs (issue #30).

    .venv/bin/python bench/load_during_night.py [--scale 1] [--no-think-round]
                                                   (or: make bench-load-night)

In ONE PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_load_night) and a Redis database (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/5: Celery's broker, the page cache and the import lock, as in
production):

  set-up: the national roster of ``roster_sync.py`` (6,057 schools at ``--scale`` 1) through its
      COPY loader, with two staff members of each of 25 schools (``--schools``) given the
      ``ICTCoordinator`` role in the feed (both nights); every school the demo catalogue's ten
      licences (``registry_reconcile.give_licences``); the reference licence registry as its own
      process (mutual TLS), filled by a first reconciliation, so the night's one compares as on any
      night; one logged-in session per coordinator. Kept as a template database for the rounds.

  a round: a Celery worker as docker-compose.yml starts it (``--concurrency=2``, under
      ``nice -n 10`` as there, ``--night-nice``), gunicorn (2 workers × 4 threads) with the
      registry configured, so every click's push goes through the broker to the worker as in
      production; the 50 coordinators start clicking (``load.Coordinator``: Beheer home,
      "Licenties per kind", a group, a seat assigned, sometimes one released, following each
      form's redirect as a browser does), each pausing ``--think`` seconds (seeded) before each
      click. After ``--quiet-seconds`` without the night, the night starts: beat's task
      ``nightly_roster_import`` sent by name for the second night (2 % moved or renamed, 1 % left,
      1 % new) AND ``manage.py sync_registry`` (the nightly reconciliation) at once, under the same
      ``nice``. The coordinators stop when both have finished.

Reported per round, for the quiet window and for the window in which the night's work ran:
requests, errors (5xx, 400/403/404, failed connections), p50/p95/p99 latency; the import run's and
the reconciliation's outcome and wall time; per-pupil licences holding more seats than were bought
(must be 0); the load average. ``--no-think-round`` adds a round, on a fresh copy of the set-up,
with the coordinators clicking without pause; ``--not-nice-round`` one with the night's processes
at niceness 0. Printed, and written to the "Load: 50
coordinators during the night's work" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson
import psycopg
import redis
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent))
import registry_reconcile
import roster_sync
from common import ROOT, setup_django, wait_for_port, write_section
from load import Coordinator, over_used_licences, percentile, sessions, start_gunicorn
from roster_celery import NIGHTLY_TASK, Worker, import_run, proc_stat, process_family

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bingel_bench_load_night"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
SECTION = "## Load: 50 coordinators during the night's work"
COORDINATOR_ROLE = "ICTCoordinator"


# --- Set-up ---------------------------------------------------------------------------------


def pick_coordinators(feed: Path, schools: int, per_school: int) -> dict[int, list[int]]:
    """``schools`` schools spread over the feed, and the first ``per_school`` staff members of each."""
    ids = orjson.loads((feed / "instellingen.json").read_bytes())
    step = max(1, len(ids) // schools)
    chosen = {}
    for bp in ids[::step][:schools]:
        roster = orjson.loads((feed / "instellingen" / f"{bp}.json").read_bytes())
        chosen[bp] = [staff["id"] for staff in roster["medewerkers"][:per_school]]
    return chosen


def coordinator_feed(source: Path, target: Path, coordinators: dict[int, list[int]]) -> Path:
    """``source``'s night with the ``coordinators`` (school → staff ids) given the ICTCoordinator
    role; every other school's documents are links to the shared feed, not copies."""
    if target.exists():
        shutil.rmtree(target)
    (target / "instellingen").mkdir(parents=True)
    shutil.copy(source / "instellingen.json", target / "instellingen.json")
    for entry in (source / "instellingen").iterdir():
        (target / "instellingen" / entry.name).symlink_to(entry.resolve())
    for bp, staff_ids in coordinators.items():
        path = target / "instellingen" / f"{bp}.json"
        roster = orjson.loads(path.read_bytes())
        path.unlink()
        for staff in roster["medewerkers"]:
            if staff["id"] in staff_ids and COORDINATOR_ROLE not in staff["rollen"]:
                staff["rollen"].append(COORDINATOR_ROLE)
        path.write_bytes(orjson.dumps(roster))
    return target


def start_registry(port: int) -> tuple[subprocess.Popen, dict]:
    """The reference registry as its own process; the settings that point the app at it."""
    from demo.reference_registry import make_pki

    pki = make_pki(ROOT / "var" / "bench-registry-pki")
    log = (ROOT / "var" / "bench-load-night-registry.log").open("w")
    registry = subprocess.Popen(
        [sys.executable, "-m", "demo.reference_registry", "--port", str(port), "--pki", str(pki.ca.parent)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port)
    return registry, {
        "LICENCE_REGISTRY_URL": f"https://127.0.0.1:{port}/rest/v1/",
        "LICENCE_REGISTRY_CLIENT_CERT": str(pki.client),
        "LICENCE_REGISTRY_CA_BUNDLE": str(pki.ca),
    }


def set_up(args, farm_first: Path, coordinators: dict[int, list[int]], registry_env: dict) -> dict:
    """Roster, licences, a filled registry and the coordinators' sessions; returns what the rounds need."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from integrations.registry import sync
    from roster.models import School

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    roster_sync.baseline(farm_first)
    print(f"Roster loaded (COPY) in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    counts = registry_reconcile.give_licences()
    print(f"Licences in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
    for name, value in registry_env.items():
        setattr(settings, name, value)
    started = time.perf_counter()
    report = sync.reconcile()
    print(f"Registry filled in {time.perf_counter() - started:.0f} s: {report.sends} sets sent", flush=True)
    if report.failed_schools:
        raise SystemExit(f"filling the registry failed for {len(report.failed_schools)} schools")
    pks = dict(School.objects.filter(basispoort_id__in=coordinators).values_list("basispoort_id", "pk"))
    users = [(staff_id, pks[bp]) for bp, staff_ids in coordinators.items() for staff_id in staff_ids]
    keys = sessions([staff_id for staff_id, _school in users])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {"counts": counts, "users": [(key, school) for key, (_staff, school) in zip(keys, users, strict=True)]}


# --- A round --------------------------------------------------------------------------------


def window(users: list[Coordinator], start: float, end: float) -> dict:
    """What the coordinators saw for the requests they sent between ``start`` and ``end``."""
    seconds = sorted(s for u in users for sent, s in u.samples if start <= sent < end)
    errors = [e for u in users for sent, e in u.errors if start <= sent < end]
    length = max(end - start, 1e-9)
    return {
        "seconds": length,
        "requests": len(seconds),
        "rate": len(seconds) / length,
        "errors": len(errors),
        "first_errors": errors[:5],
        "p50": percentile(seconds, 0.50) * 1000,
        "p95": percentile(seconds, 0.95) * 1000,
        "p99": percentile(seconds, 0.99) * 1000,
        "max": (seconds[-1] if seconds else math.nan) * 1000,
    }


def warm_up(users: list[Coordinator]) -> None:
    """Each school's two pages once, one after the other: a production server is warm when the
    coordinators come (its processes have imported everything, the page cache holds the cards)."""
    seen = set()
    for user in users:
        if user.schools[0] not in seen:
            seen.add(user.schools[0])
            for path in ("/school/{}/beheer/", "/school/{}/beheer/licenties/kind/"):
                user.http.get(user.base + path.format(user.schools[0]), timeout=120)


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += proc_stat(pid)[1]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def night_round(args, env: dict, farm_second: Path, ready: dict, think: tuple[float, float], nice: int) -> dict:
    url, broker = env["DATABASE_URL"], env["REDIS_URL"]
    redis.Redis.from_url(broker).flushdb()  # the broker, the page cache and the lock of the previous round
    log = ROOT / "var" / "bench-load-night-worker.log"
    worker_env = {**env, "ROSTER_FOLDER": str(farm_second)}
    worker = Worker(worker_env, log, args.concurrency, nice=nice)
    server = start_gunicorn(args.port, env)
    base = f"http://127.0.0.1:{args.port}"
    stop = threading.Event()
    users = [
        Coordinator(base, key, [school], stop, seed, think=think, follow=True, retry=True)
        for seed, (key, school) in enumerate(ready["users"])
    ]
    night = {}
    try:
        web = process_family(server.pid)
        warm_up(users)
        for user in users:
            user.start()
        quiet_start = time.monotonic()
        web_cpu_start = cpu_of(web)
        stop.wait(args.quiet_seconds)
        if any(not u.is_alive() for u in users):
            raise SystemExit("a coordinator stopped before the night started")
        with psycopg.connect(url, autocommit=True) as conn:
            last = conn.execute("SELECT coalesce(max(id), 0) FROM roster_importrun").fetchone()[0]
            night_start = time.monotonic()
            web_cpu_night = cpu_of(web)
            worker_cpu = cpu_of(worker.pids)
            night["load_before"] = os.getloadavg()[0]
            # What beat does at 02:00 and at 03:00: the import's task by name to the worker; the
            # reconciliation here as its own process, at once (beat's task would wait for the import's lock).
            Celery("bench", broker=broker).send_task(NIGHTLY_TASK)
            reconcile_log = ROOT / "var" / "bench-load-night-reconcile.log"
            with reconcile_log.open("w") as out:
                reconcile = subprocess.Popen(
                    [*(["nice", "-n", str(nice)] if nice else []), sys.executable, "manage.py", "sync_registry"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            reconcile_cpu = 0.0
            import_end = reconcile_end = None
            row = None
            while import_end is None or reconcile_end is None:
                if import_end is None:
                    row = import_run(conn, last)
                    if row:
                        import_end = time.monotonic()
                if reconcile_end is None:
                    reconcile_cpu = cpu_of([reconcile.pid]) or reconcile_cpu  # read before it is reaped
                    if reconcile.poll() is not None:
                        reconcile_end = time.monotonic()
                if not worker.alive():
                    raise SystemExit(f"the Celery worker stopped before the run closed; see {log}")
                if time.monotonic() - night_start > args.max_night_seconds:
                    print(f"The night's work did not finish in {args.max_night_seconds:g} s; stopped", flush=True)
                    break
                time.sleep(0.5)
            night_end = time.monotonic()
            night["load_after"] = os.getloadavg()[0]
            night["web_cpu"] = cpu_of(web) - web_cpu_night
            night["quiet_web_cpu"] = web_cpu_night - web_cpu_start
            night["worker_cpu"] = cpu_of(worker.pids) - worker_cpu
        stop.set()
        for user in users:
            user.join(timeout=60)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        worker.stop()
    if reconcile.poll() is None:
        reconcile.terminate()
        reconcile.wait()
    output = reconcile_log.read_text().strip()
    if row is None:
        with psycopg.connect(url, autocommit=True) as conn:
            row = import_run(conn, last, ended=False)
    run_id, status, total, done, failed = row
    night.update(
        import_wall=(import_end or night_end) - night_start,
        import_status=f"run {run_id} {status}: {done:,}/{total:,} schools, {failed} failed",
        import_ok=status == "finished" and not failed and import_end is not None,
        reconcile_wall=(reconcile_end or night_end) - night_start,
        reconcile_cpu=reconcile_cpu,
        reconcile_output=next((line for line in output.splitlines() if " sets compared" in line), output[-200:])
        if reconcile_end
        else "not finished, stopped",
        reconcile_ok=reconcile_end is not None and reconcile.returncode == 0,
    )
    night["quiet"] = window(users, quiet_start + args.warmup_seconds, night_start)
    night["night"] = window(users, night_start, night_end)
    night["all_errors"] = sum(len(u.errors) for u in users)
    night["retried"] = sum(len(u.retried) for u in users)
    night["think"], night["nice"] = think, nice
    night["niceness"] = os.getpriority(os.PRIO_PROCESS, 0)
    from django.db import connection

    night["over_used"] = over_used_licences()
    connection.close()
    print(f"round think {think}: {night}", flush=True)
    errors = [e for u in users for _sent, e in u.errors]
    if errors:
        kinds = Counter(e.split(": ", 1)[1].split(" ", 1)[0] for e in errors)
        print(f"{len(errors)} errors ({dict(kinds)}), the first: {errors[:10]}", flush=True)
    return night


# --- Driver ---------------------------------------------------------------------------------


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(":")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the 6,057 schools (default 1).")
    parser.add_argument("--feed-dir", default=str(ROOT / "var" / "bench-feed"))
    parser.add_argument("--users", type=int, default=50, help="Coordinators (default 50).")
    parser.add_argument("--schools", type=int, default=25, help="Their schools (default 25: two coordinators each).")
    parser.add_argument("--think", default="2:5", help="Seconds before each click, MIN:MAX (default 2:5; 0: none).")
    parser.add_argument("--no-think-round", action="store_true", help="Also a round without think time.")
    parser.add_argument(
        "--not-nice-round", action="store_true", help="Also a round with think time and the night at niceness 0."
    )
    parser.add_argument("--quiet-seconds", type=float, default=60, help="Coordinators alone before the night.")
    parser.add_argument(
        "--setup-nice", type=int, default=10, help="Niceness of the set-up (default 10); the rounds run as started."
    )
    parser.add_argument("--warmup-seconds", type=float, default=15, help="Start of the quiet window not counted.")
    parser.add_argument("--night-nice", type=int, default=10, help="Niceness of the night's processes (default 10).")
    parser.add_argument("--concurrency", type=int, default=2, help="Pool processes of the worker (production: 2).")
    parser.add_argument("--port", type=int, default=8602, help="gunicorn's port; the registry takes the next one.")
    parser.add_argument("--max-night-seconds", type=float, default=3 * 3600)
    parser.add_argument("--no-report", action="store_true", help="Print only; leave docs/PERFORMANCE.md alone.")
    args = parser.parse_args()

    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DB)
    broker = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    os.environ.pop("REDIS_URL", None)  # the set-up runs without broker and page cache; the round's processes have them
    url = setup_django(DEFAULT_DB.rsplit("/", 1)[1])
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, priority + args.setup_nice)

    schools, first, second, feed_counts = roster_sync.prepare_feed(Path(args.feed_dir), args.scale)
    per_school = math.ceil(args.users / args.schools)
    coordinators = pick_coordinators(first, args.schools, per_school)
    farm = ROOT / "var" / "bench-load-night-feed"
    farm_first = coordinator_feed(first, farm / "night-1", coordinators)
    farm_second = coordinator_feed(second, farm / "night-2", coordinators)

    registry, registry_env = start_registry(args.port + 1)
    try:
        ready = set_up(args, farm_first, coordinators, registry_env)
        ready["users"] = ready["users"][: args.users]
        name = url.rsplit("/", 1)[1]
        template = f"{name}_ready"
        roster_sync.copy_database(url, name, template)
        env = {
            **os.environ,
            **registry_env,
            "DATABASE_URL": url,
            "REDIS_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        try:
            os.setpriority(os.PRIO_PROCESS, 0, priority)  # the rounds: web and coordinators as started
        except PermissionError:
            print(f"The rounds run at the set-up's niceness {priority + args.setup_nice}", flush=True)
        rounds = [(think_range(args.think), args.night_nice)]
        if args.no_think_round:
            rounds.append(((0.0, 0.0), args.night_nice))
        if args.not_nice_round:
            rounds.append((think_range(args.think), 0))
        results = []
        for n, (think, nice) in enumerate(rounds):
            if n:
                roster_sync.copy_database(url, template, name)
            results.append(night_round(args, env, farm_second, ready, think, nice))
        roster_sync.copy_database(url, None, template)
    finally:
        registry.terminate()
        registry.wait(timeout=30)

    lines = report(args, schools, feed_counts, ready["counts"], results)
    print("\n".join(lines))
    if not args.no_report:
        write_section(SECTION, SECTION + "\n\n" + "\n".join(lines))
    failed = [
        r
        for r in results
        if r["all_errors"] or r["over_used"] or not r["import_ok"] or not r["reconcile_ok"] or r["night"]["p95"] > 300
    ]
    sys.exit(1 if failed else 0)


def report(args, schools: int, feed: dict, counts: dict, results: list[dict]) -> list[str]:
    def think_text(r: dict) -> str:
        think = r["think"]
        return (f"think {think[0]:g}–{think[1]:g} s" if think[1] else "no think time") + f", night nice {r['nice']}"

    lines = [
        f"`bench/load_during_night.py --scale {args.scale:g}` on {dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M} UTC: "
        f"{schools:,} schools, {feed['pupils']:,} pupils, {counts['licenses_licence']:,} licences "
        f"({counts['licenses_seat']:,} seats taken), in one PostgreSQL database; {args.users} coordinators of "
        f"{args.schools} of those schools (two per school, each its own session), gunicorn 2 workers × 4 threads; "
        f"the night's work: beat's `nightly_roster_import` of the changed night on a Celery worker "
        f"(`--concurrency={args.concurrency}`) and `manage.py sync_registry` against the reference registry "
        "(mutual TLS, filled by a first reconciliation), started together, both at the niceness the round "
        f"names (gunicorn and the coordinators at {results[0]['niceness']}). "
        f"{os.cpu_count()} CPUs shared with the rest of the machine's work (load average below).",
        "",
        "| round | window | requests (per s) | errors | p50 / p95 / p99 (max) | load before → after |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for key, name in (("quiet", "coordinators alone"), ("night", "during the night's work")):
            w = r[key]
            load = f"{r['load_before']:.2f} → {r['load_after']:.2f}" if key == "night" else "–"
            lines.append(
                f"| {think_text(r)} | {name}, {w['seconds']:.0f} s | {w['requests']:,} ({w['rate']:.1f}) | "
                f"{w['errors']} | {w['p50']:.0f} / {w['p95']:.0f} / {w['p99']:.0f} ({w['max']:.0f}) ms | {load} |"
            )
    lines += [
        "",
        "| round | import (Celery) | reconciliation | CPU: web / worker / reconciliation | errors in the round "
        "(resets retried) | seats over-used |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {think_text(r)} | {r['import_wall']:.0f} s, {r['import_status']} | "
            f"{r['reconcile_wall']:.0f} s, {r['reconcile_output'] or 'no output'} | "
            f"{r['web_cpu']:.0f} / {r['worker_cpu']:.0f} / {r['reconcile_cpu']:.0f} s | "
            f"{r['all_errors']} ({r['retried']}) | {r['over_used']} |"
        )
    lines += [
        "",
        "Latency: the coordinator's own, on loopback, from sending a request to its whole answer; p95 and p99 by "
        "nearest rank over every request sent in the window (the quiet one after a warm-up pass and "
        f"{args.warmup_seconds:g} s). Errors: 5xx, 400/403/404, failed connections and time-outs (30 s); "
        "a kept-alive connection the server reset is retried once on a new one, as a browser does, and counted "
        "apart. CPU: user + system of gunicorn's processes, of the worker's processes and of "
        "the reconciliation process during the night window; PostgreSQL's own CPU is not in it.",
    ]
    return lines


if __name__ == "__main__":
    main()
