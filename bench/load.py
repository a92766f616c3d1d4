"""Load test: 50 coordinators browse and link at once against gunicorn, for a bounded time.

Each virtual coordinator has its own session and, in a loop until the time is up, opens
Beheer home, "Licenties per kind", picks a group, assigns a seat to a child and sometimes
releases one again. Reported: requests, errors (5xx or failed connections), p50/p95 latency,
and whether any per-pupil licence holds more seats than were bought. Loopback only.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60]

The coordinator, the session set-up and gunicorn are also used by ``load_during_night.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, setup_django

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION = re.compile(r'<option value="(\d+)"')
KOPPELEN = re.compile(r'href="([^"]+/kind/\d+/koppelen/)"')
ONTKOPPELEN = re.compile(r'href="([^"]+/kind/\d+/ontkoppelen/\d+/)"')


def sessions(basispoort_ids: list[int]) -> list[str]:
    """One logged-in session per virtual coordinator (the state SSO login leaves behind), each
    the staff member of the Basispoort id at the same place in ``basispoort_ids``."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from roster.access import BASISPOORT_ID_SESSION_KEY

    keys = []
    backend = "django.contrib.auth.backends.ModelBackend"
    for n, basispoort_id in enumerate(basispoort_ids):
        user, _ = get_user_model().objects.get_or_create(username=f"load-{n}")
        store = SessionStore()
        store.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": backend,
                "_auth_user_hash": user.get_session_auth_hash(),
                BASISPOORT_ID_SESSION_KEY: str(basispoort_id),
            }
        )
        store.create()
        keys.append(store.session_key)
    return keys


class Coordinator(threading.Thread):
    """One coordinator's browser, until ``stop`` is set.

    ``think``: the pause before each click, drawn uniformly from (low, high) seconds with this
    coordinator's own seeded generator; (0, 0) clicks without pause. ``follow``: after a form is
    sent, fetch the page it redirects to, as a browser does (at once, no pause). ``retry``: a
    request whose kept-alive connection was reset is sent once more on a new connection, as a
    browser does; each such retry is kept in ``retried``.
    """

    def __init__(
        self,
        base: str,
        session_key: str,
        schools: list[int],
        stop: threading.Event,
        seed: int,
        *,
        think: tuple[float, float] = (0.0, 0.0),
        follow: bool = False,
        retry: bool = False,
    ):
        from django.conf import settings

        super().__init__(daemon=True)
        self.base, self.stop, self.schools = base, stop, schools
        self.think, self.follow, self.retry = think, follow, retry
        self.retried: list[tuple[float, str]] = []
        self.random = random.Random(seed)  # noqa: S311 (load pattern, not a secret)
        self.http = requests.Session()
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, session_key, domain="127.0.0.1")
        self.samples: list[tuple[float, float]] = []  # (monotonic time the request was sent, seconds)
        self.errors: list[tuple[float, str]] = []

    def pause(self) -> bool:
        """Think before the next click; false once the run is over."""
        if self.think[1] > 0:
            self.stop.wait(self.random.uniform(*self.think))
        return not self.stop.is_set()

    def call(self, method: str, path: str, **kwargs) -> requests.Response | None:
        if not self.pause():
            return None
        return self._send(method, path, **kwargs)

    def _send(self, method: str, path: str, **kwargs) -> requests.Response | None:
        sent = time.monotonic()
        start = time.perf_counter()
        try:
            try:
                response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
            except requests.ConnectionError as exc:
                if not self.retry or isinstance(exc, requests.ConnectTimeout) or not _reset(exc):
                    raise
                # A kept-alive connection the server closed while we were thinking: a browser
                # sends the request again on a new one, and so do we (counted apart).
                self.retried.append((sent, f"{method} {path}"))
                response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.errors.append((sent, f"{method} {path}: {type(exc).__name__} {str(exc)[-120:]}"))
            return None
        self.samples.append((sent, time.perf_counter() - start))
        if response.status_code >= 500 or response.status_code in (400, 403, 404):
            self.errors.append((sent, f"{method} {path}: {response.status_code}"))
        if self.follow and method == "POST" and response.is_redirect:
            location = response.headers["Location"].removeprefix(self.base)
            return self._send("GET", location)
        return response

    @property
    def latencies(self) -> list[float]:
        return [seconds for _sent, seconds in self.samples]

    def run(self) -> None:
        while not self.stop.is_set():
            school = self.random.choice(self.schools)
            self.call("GET", f"/school/{school}/beheer/")
            page = self.call("GET", f"/school/{school}/beheer/licenties/kind/")
            if page is None:
                continue
            links = KOPPELEN.findall(page.text)
            if links:
                assign = self.random.choice(links)
                step1 = self.call("GET", assign)
                groups = OPTION.findall(step1.text) if step1 is not None else []
                if groups:
                    step2 = self.call("GET", assign, params={"groep": self.random.choice(groups)})
                    pupils = OPTION.findall(step2.text.split('name="pupil"')[-1]) if step2 is not None else []
                    token = CSRF.search(step2.text) if step2 is not None else None
                    if pupils and token:
                        self.call(
                            "POST",
                            assign,
                            data={"csrfmiddlewaretoken": token.group(1), "pupil": self.random.choice(pupils)},
                            headers={"Referer": self.base + assign},
                        )
            releases = ONTKOPPELEN.findall(page.text)
            if releases and self.random.random() < 0.4:
                release = self.random.choice(releases)
                confirm = self.call("GET", release)
                token = CSRF.search(confirm.text) if confirm is not None else None
                if token:
                    self.call(
                        "POST",
                        release,
                        data={"csrfmiddlewaretoken": token.group(1)},
                        headers={"Referer": self.base + release},
                    )


def _reset(exc: requests.ConnectionError) -> bool:
    """The server reset or closed the connection before answering (not: nothing listening)."""
    text = str(exc)
    return "Connection aborted" in text or "RemoteDisconnected" in text


def start_gunicorn(port: int, env: dict | None = None, workers: int = 2, threads: int = 4) -> subprocess.Popen:
    """gunicorn on loopback, serving once it answers /healthz."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bingel_admin.wsgi:application",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env if env is not None else os.environ.copy(),
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except requests.RequestException:
            if server.poll() is not None:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def over_used_licences() -> int:
    """Per-pupil licences holding more seats than were bought."""
    from django.db.models import Count, F

    from licenses.models import Licence, LicenceKind

    return (
        Licence.objects.filter(kind=LicenceKind.PER_PUPIL)
        .annotate(used=Count("seats_taken"))
        .filter(used__gt=F("seats"))
        .count()
    )


def percentile(ordered: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted ``ordered`` lie (nearest rank, no interpolation)."""
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8932)
    args = parser.parse_args()

    setup_django("bingel_load", allowed_hosts="127.0.0.1")
    from django.core.management import call_command
    from django.db import connection

    from demo.world import DEMO_COORDINATOR, SCHOOL_A, SCHOOL_B
    from roster.models import School

    call_command("migrate", verbosity=0)
    call_command("demo_world", feed_dir=str(ROOT / "var" / "load-feed"), verbosity=0)
    schools = [School.objects.get(basispoort_id=b).pk for b in (SCHOOL_A, SCHOOL_B)]
    keys = sessions([DEMO_COORDINATOR.basispoort_id] * args.users)
    connection.close()

    port = args.port
    server = start_gunicorn(port)
    base = f"http://127.0.0.1:{port}"
    try:
        stop = threading.Event()
        users = [Coordinator(base, key, schools, stop, n) for n, key in enumerate(keys)]
        started = time.monotonic()
        for user in users:
            user.start()
        stop.wait(args.seconds)
        stop.set()
        for user in users:
            user.join(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=10)

    latencies = sorted(t for u in users for t in u.latencies)
    errors = [e for u in users for _sent, e in u.errors]
    over = over_used_licences()
    p95 = percentile(latencies, 0.95) * 1000
    print("| measure | figure |")
    print("|---|---|")
    print(f"| virtual coordinators × duration | {args.users} × {elapsed:.0f} s |")
    print(f"| requests | {len(latencies)} ({len(latencies) / elapsed:.0f}/s) |")
    print(f"| errors (5xx, 4xx other than redirects, failed connections) | {len(errors)} |")
    print(f"| latency p50 / p95 | {statistics.median(latencies) * 1000:.0f} ms / {p95:.0f} ms |")
    print(f"| per-pupil licences holding more seats than bought | {over} |")
    if errors:
        print("first errors:", errors[:5])
    sys.exit(1 if errors or over else 0)


if __name__ == "__main__":
    main()
