"""Infrastructure that a fault test starts, stops and restarts itself, on ports of its own (17200-17299):
a redis-server and a PostgreSQL cluster, never the shared ones; and pointing Celery at such a broker."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import redis
from django.conf import settings as django_settings
from django.db import connection

from bingel_admin.celery import app
from tests.servers import ROOT


class OwnRedis:
    """A redis-server on ``port`` with its data in ``workdir``; ``stop()``/``start()`` at will."""

    def __init__(self, port: int, workdir: Path, *, persistent: bool = False):
        self.port, self.workdir, self.process = port, workdir, None
        self.persistent = persistent  # append-only file, as production runs it (docs/RUNBOOK.md)
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--save", "", "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not come up")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def own_redis(port: int, workdir: Path, *, persistent: bool = False):
    server = OwnRedis(port, workdir, persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_broker(url: str):
    """Celery (publishing and any worker started meanwhile) on the broker at ``url``.

    kombu keeps one connection pool per broker address for the whole process, and a pool once
    closed stays closed: each test uses an address (port) of its own, whose pool is closed after.
    """
    old = app.conf.broker_url
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = old


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return Path(found[-1]).parent


class OwnPostgres:
    """A PostgreSQL cluster of the test's own (initdb in ``workdir``, on ``port``), run as user
    postgres when the tests run as root; ``restart()`` stops it fast and starts it again."""

    def __init__(self, port: int):
        # Not under pytest's temporary folder: user postgres may not enter root's.
        self.workdir = Path(tempfile.mkdtemp(prefix="bingel-pg-"))
        self.workdir.chmod(0o777)  # initdb runs as postgres; removed afterwards
        self.port, self.data = port, self.workdir / "pgdata"
        self.bin = pg_bin()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgres://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data.parent / "pg.log"),
            "-o", f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def own_postgres(port: int):
    if shutil.which("runuser") is None and os.geteuid() == 0:
        raise RuntimeError("runuser is needed to run initdb as postgres")
    server = OwnPostgres(port)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop("immediate")
        shutil.rmtree(server.workdir, ignore_errors=True)


def worker_database_url(**query: str) -> str:
    """The test database (pytest-django's), for a worker process, with ``query`` (application_name)."""
    parts = urlsplit(django_settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"], query=urlencode(query)))


@contextmanager
def celery_worker_process(name: str, env: dict[str, str], log: Path, *, pool: str = "solo"):
    """A real ``celery worker`` process (its own session, so it is stopped with its pool children)."""
    command = [sys.executable, "-m", "celery", "-A", "bingel_admin", "worker", f"--pool={pool}", "--concurrency=1"]
    command += ["-n", f"{name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_worker(name: str, process: subprocess.Popen, seconds: float = 90) -> None:
    full = f"{name}@{socket.gethostname()}"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"worker {name} exited"
        if any(full in reply for reply in app.control.ping(destination=[full], timeout=1)):
            return
    raise AssertionError(f"worker {name} did not answer")


def sessions_waiting_on_a_lock(application_name: str, seconds: float = 60) -> bool:
    """Whether a session of ``application_name`` comes to wait on a lock within ``seconds``."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(worker_database_url(), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND application_name = %s",
                [application_name],
            ).fetchone()
            if row:
                return True
            time.sleep(0.1)
    return False
