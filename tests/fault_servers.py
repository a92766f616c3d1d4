"""Infrastructure that a fault test starts, stops and restarts itself, on ports of its own (17200-17299):
a redis-server and a PostgreSQL cluster, never the shared ones; and pointing Celery at such a broker."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import redis

from bingel_admin.celery import app


class OwnRedis:
    """A redis-server on ``port`` with its data in ``workdir``; ``stop()``/``start()`` at will."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.process = port, workdir, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
             "--save", "", "--appendonly", "no"],
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
def own_redis(port: int, workdir: Path):
    server = OwnRedis(port, workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reset_broker_pools() -> None:
    pool = getattr(app, "_pool", None)
    if pool is not None:
        pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str):
    """Celery (publishing and any worker started meanwhile) on the broker at ``url``."""
    old = app.conf.broker_url
    app.conf.broker_url = url
    _reset_broker_pools()
    try:
        yield
    finally:
        _reset_broker_pools()
        app.conf.broker_url = old


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return Path(found[-1]).parent


class OwnPostgres:
    """A PostgreSQL cluster of the test's own (initdb in ``workdir``, on ``port``), run as user
    postgres when the tests run as root; ``restart()`` stops it fast and starts it again."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.data = port, workdir / "pgdata"
        self.bin = pg_bin()
        workdir.chmod(0o777)
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
def own_postgres(port: int, workdir: Path):
    if shutil.which("runuser") is None and os.geteuid() == 0:
        raise RuntimeError("runuser is needed to run initdb as postgres")
    server = OwnPostgres(port, workdir)
    server.init()
    server.start()
    try:
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop("immediate")
