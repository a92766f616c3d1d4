"""Benchmark of the nightly roster import as production runs it: beat's task on Celery workers.

    .venv/bin/python bench/roster_celery.py [--scale 1]      (or: make bench-roster-celery)

On a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_celery) and a Redis database as broker
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/5), with the feed of ``roster_sync.py``:

  (1) Celery, empty database: a worker started as docker-compose.yml starts it (``celery -A
      bingel_admin worker --concurrency=2``: prefork, two pool processes, the production settings:
      late acknowledgement, prefetch 1, no result backend; not under docker-compose.yml's
      ``nice -n 10``, as sync_roster is not either), the feed folder as its configured
      source; beat's task ``roster.tasks.nightly_roster_import`` sent as beat sends it, by name;
      timed until the run's ImportRun is closed;
  (2) Celery, the second night (2 % moved or renamed, 1 % left, 1 % new), a new worker;
  (3) and (4) ``manage.py sync_roster`` on the same two nights in the same run, for the ratio.

For each phase: wall time, CPU time of the import's own processes (the worker's main and pool
processes; sync_roster and its forked processes), the peak RSS of each of those processes (VmHWM),
and the load average before and after. Printed, and written to the "Nightly roster import through
Celery" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from celery import Celery
from roster_sync import ROOT, prepare_database, prepare_feed, reset, run_child, write_report

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bingel_bench_celery"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
SECTION = "## Nightly roster import through Celery"
NIGHTLY_TASK = "roster.tasks.nightly_roster_import"  # the name CELERY_BEAT_SCHEDULE sends
LOCK_KEY = "bingel:roster-import-lock"  # roster.lock.LOCK_KEY; this process does not load Django
TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[int, float]:
    """A process's parent and its CPU time (user + system) so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def import_run(conn, after: int, *, ended: bool = True) -> tuple | None:
    """The first import run after id ``after`` (one that has ended, unless ``ended`` is false):
    its id, status, schools total, done and failed; None while there is none."""
    return conn.execute(
        "SELECT id, status, schools_total, schools_done, schools_failed FROM roster_importrun "
        "WHERE id > %s AND (status <> 'running' OR NOT %s) ORDER BY id LIMIT 1",
        [after, ended],
    ).fetchone()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_family(pid: int) -> list[int]:
    """The worker's main process and its pool processes."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if proc_stat(int(entry.name))[0] == pid:
                    children.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return [pid, *sorted(children)]


class Worker:
    """``celery -A bingel_admin worker`` as production starts it, on the bench database and broker."""

    def __init__(self, env: dict, log: Path, concurrency: int, nice: int = 0) -> None:
        # ``nice`` execs the worker in its own process, so the pid is the worker's main process.
        args = ["nice", "-n", str(nice)] if nice else []
        args += [sys.executable, "-m", "celery", "-A", "bingel_admin", "worker", "--loglevel=INFO"]
        args += [f"--concurrency={concurrency}", "-n", f"bench-{os.getpid()}@%h"]
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not start; see {log}")
            time.sleep(0.2)
        self.pids = process_family(self.process.pid)
        self.started_cpu = {pid: proc_stat(pid)[1] for pid in self.pids}

    def measure(self) -> tuple[float, list[float]]:
        """CPU seconds of the worker's processes since it was ready, and each one's peak RSS (MB)."""
        cpu = sum(proc_stat(pid)[1] - self.started_cpu[pid] for pid in self.pids)
        return cpu, [_peak_rss_mb(pid) for pid in self.pids]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def celery_night(url: str, broker: str, env: dict, night: Path, concurrency: int, log: Path) -> dict:
    """One night through Celery: a fresh worker, beat's task sent by name, timed until the run is closed."""
    client = redis.Redis.from_url(broker)
    client.delete(LOCK_KEY, "celery", "unacked", "unacked_index", "unacked_mutex")
    worker_env = {**env, "REDIS_URL": broker, "ROSTER_FOLDER": str(night), "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = Worker(worker_env, log, concurrency)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            last = conn.execute("SELECT coalesce(max(id), 0) FROM roster_importrun").fetchone()[0]
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            # What beat does at 02:00 (celery.beat.Scheduler.apply_entry): the entry's task, by name.
            Celery("bench", broker=broker).send_task(NIGHTLY_TASK)
            while True:
                row = import_run(conn, last)
                if row:
                    break
                if not worker.alive():
                    raise SystemExit(f"the Celery worker stopped before the run closed; see {log}")
                time.sleep(0.2)
            wall = time.perf_counter() - started
            load_after = os.getloadavg()[0]
            cpu, rss = worker.measure()
            pupils = conn.execute("SELECT count(*) FROM roster_pupil WHERE active").fetchone()[0]
    finally:
        worker.stop()
    run_id, status, total, done, failed = row
    if status != "finished" or failed:
        raise SystemExit(f"run {run_id} closed {status}: {done}/{total} schools, {failed} failed; see {log}")
    return {"wall": wall, "cpu": cpu, "rss": rss, "load": (load_before, load_after), "pupils": pupils}


def sync_night(url: str, env: dict, night: Path) -> dict:
    """The same night through ``manage.py sync_roster`` (ROSTER_IMPORT_PROCESSES forked processes)."""
    wall, usage, load_before, load_after = run_child(
        [sys.executable, "manage.py", "sync_roster", "--source", str(night)], env
    )
    with psycopg.connect(url, autocommit=True) as conn:
        pupils = conn.execute("SELECT count(*) FROM roster_pupil WHERE active").fetchone()[0]
    cpu = usage.ru_utime + usage.ru_stime
    # wait4 reports the largest single process of the command's tree, not each one.
    return {
        "wall": wall,
        "cpu": cpu,
        "rss": [usage.ru_maxrss / 1024],
        "load": (load_before, load_after),
        "pupils": pupils,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the 6,057 schools (default 1).")
    parser.add_argument("--feed-dir", default=str(ROOT / "var" / "bench-feed"))
    parser.add_argument("--concurrency", type=int, default=2, help="Pool processes of the worker (production: 2).")
    parser.add_argument("--no-report", action="store_true", help="Print only; leave docs/PERFORMANCE.md alone.")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    broker = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    env = prepare_database(url)
    schools, first, second, counts = prepare_feed(Path(args.feed_dir), args.scale)
    log = ROOT / "var" / "bench-celery-worker.log"
    log.parent.mkdir(exist_ok=True)

    # Celery, sync_roster, sync_roster, Celery: what else the machine does weighs on both alike. Each
    # changed night follows the other path's first night, which leaves the same rows (checked below).
    phases = {}
    order = [
        ("celery-empty", lambda: celery_night(url, broker, env, first, args.concurrency, log)),
        ("sync-changed", lambda: sync_night(url, env, second)),
        ("sync-empty", lambda: sync_night(url, env, first)),
        ("celery-changed", lambda: celery_night(url, broker, env, second, args.concurrency, log)),
    ]
    for key, night in order:
        if key.endswith("empty"):
            reset(url)
        phases[key] = night()
        print(key, phases[key], flush=True)
    for night in ("empty", "changed"):
        if phases[f"celery-{night}"]["pupils"] != phases[f"sync-{night}"]["pupils"]:
            raise SystemExit(f"{night} night: Celery and sync_roster left different numbers of active pupils")

    ratio = {
        night: phases[f"celery-{night}"]["wall"] / phases[f"sync-{night}"]["wall"] for night in ("empty", "changed")
    }
    peak = max(max(p["rss"]) for name, p in phases.items() if name.startswith("celery"))
    names = {
        "celery-empty": "(1) Celery, empty database",
        "celery-changed": "(2) Celery, 2 % moved/renamed, 1 % left, 1 % new",
        "sync-empty": "(3) sync_roster, empty database",
        "sync-changed": "(4) sync_roster, the same changed night",
    }
    lines = [
        f"`bench/roster_celery.py --scale {args.scale:g}` on {dt.datetime.now(tz=dt.UTC):%Y-%m-%d}: "
        f"{schools:,} schools, {counts['pupils']:,} pupils ({counts['rows']:,} rows); {os.cpu_count()} CPUs, "
        "PostgreSQL and Redis on the same machine. The worker as docker-compose.yml starts it "
        f"(`celery -A bingel_admin worker --concurrency={args.concurrency}`: prefork, {args.concurrency} pool "
        "processes, the production Celery settings), beat's task sent by name; sync_roster with "
        "`ROSTER_IMPORT_PROCESSES` = 2.",
        "",
        f"**Through Celery: empty database {ratio['empty']:.2f}× sync_roster, changed night {ratio['changed']:.2f}× "
        f"(target ≤ 1.2×); peak RSS of a worker process {peak:.0f} MB (target ≤ 300 MB)**, all in this one run.",
        "",
        "| phase | wall time | CPU time | × sync_roster (wall / CPU) | peak RSS per process | load before → after |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, name in names.items():
        p = phases[key]
        other = phases[key.replace("celery", "sync")]
        versus = f"{p['wall'] / other['wall']:.2f} / {p['cpu'] / other['cpu']:.2f}" if key.startswith("celery") else "–"
        rss = " + ".join(f"{mb:.0f}" for mb in p["rss"]) + " MB"
        lines.append(
            f"| {name} | {p['wall']:.1f} s | {p['cpu']:.1f} s | {versus} | {rss} | "
            f"{p['load'][0]:.2f} → {p['load'][1]:.2f} |"
        )
    lines += [
        "",
        "CPU time: the import's own processes (the worker's main and pool processes since it was ready; "
        "sync_roster and its forked processes), not PostgreSQL's. Peak RSS: each worker process's VmHWM "
        "(main first, then the pool), and for sync_roster the largest process of its tree (`wait4`). "
        "Run in the order (1), (4), (3), (2), so what else the machine does weighs on both paths alike; "
        "each changed night follows the other path's first night, and both leave the same active pupils "
        "after each night (checked). The worker's start is not timed (in production it is already running); "
        "sync_roster's is.",
    ]
    print("\n".join(lines))
    if not args.no_report:
        write_report(lines, SECTION)


if __name__ == "__main__":
    main()
