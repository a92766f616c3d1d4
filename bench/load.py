"""Load test: 50 coordinators browse and link at once against gunicorn, for a bounded time.

Each virtual coordinator has its own session and, in a loop until the time is up, opens
Beheer home, "Licenties per kind", picks a group, assigns a seat to a child and sometimes
releases one again. Reported: requests, errors (5xx or failed connections), p50/p95 latency,
and whether any per-pupil licence holds more seats than were bought. Loopback only.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60]
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

setup_django("bingel_load", allowed_hosts="127.0.0.1")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F  # noqa: E402

from demo.world import DEMO_COORDINATOR, SCHOOL_A, SCHOOL_B  # noqa: E402
from licenses.models import Licence, LicenceKind  # noqa: E402
from roster.access import BASISPOORT_ID_SESSION_KEY  # noqa: E402
from roster.models import School  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION = re.compile(r'<option value="(\d+)"')
KOPPELEN = re.compile(r'href="([^"]+/kind/\d+/koppelen/)"')
ONTKOPPELEN = re.compile(r'href="([^"]+/kind/\d+/ontkoppelen/\d+/)"')


def sessions(users: int) -> list[str]:
    """One logged-in session per virtual coordinator (the state SSO login leaves behind)."""
    keys = []
    backend = "django.contrib.auth.backends.ModelBackend"
    for n in range(users):
        user, _ = get_user_model().objects.get_or_create(username=f"load-{n}")
        store = SessionStore()
        store.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": backend,
                "_auth_user_hash": user.get_session_auth_hash(),
                BASISPOORT_ID_SESSION_KEY: str(DEMO_COORDINATOR.basispoort_id),
            }
        )
        store.create()
        keys.append(store.session_key)
    return keys


class Coordinator(threading.Thread):
    def __init__(self, base: str, session_key: str, schools: list[int], deadline: float, seed: int):
        super().__init__(daemon=True)
        self.base, self.deadline, self.schools = base, deadline, schools
        self.random = random.Random(seed)  # noqa: S311 (load pattern, not a secret)
        self.http = requests.Session()
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, session_key, domain="127.0.0.1")
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def call(self, method: str, path: str, **kwargs) -> requests.Response | None:
        start = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.errors.append(f"{method} {path}: {type(exc).__name__}")
            return None
        self.latencies.append(time.perf_counter() - start)
        if response.status_code >= 500 or response.status_code in (400, 403, 404):
            self.errors.append(f"{method} {path}: {response.status_code}")
        return response

    def run(self) -> None:
        while time.monotonic() < self.deadline:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("demo_world", feed_dir=str(ROOT / "var" / "load-feed"), verbosity=0)
    schools = [School.objects.get(basispoort_id=b).pk for b in (SCHOOL_A, SCHOOL_B)]
    keys = sessions(args.users)
    connection.close()

    port = 8932
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bingel_admin.wsgi:application",
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        deadline = time.monotonic() + args.seconds
        users = [Coordinator(base, key, schools, deadline, n) for n, key in enumerate(keys)]
        started = time.monotonic()
        for user in users:
            user.start()
        for user in users:
            user.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=10)

    latencies = sorted(t for u in users for t in u.latencies)
    errors = [e for u in users for e in u.errors]
    over = (
        Licence.objects.filter(kind=LicenceKind.PER_PUPIL)
        .annotate(used=Count("seats_taken"))
        .filter(used__gt=F("seats"))
        .count()
    )
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
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
