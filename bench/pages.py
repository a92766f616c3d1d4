"""Benchmark of the licence pages for the largest school.

Builds one school of 1,200 pupils, 50 groups, 60 licences and 800 taken seats in its own
PostgreSQL database, then measures

1. the median server time of "Licenties per groep", "Licenties per kind" and "Nieuw
   schooljaar" (in-process Django test client, after a warm-up; for the last, the school also
   has every licence again for the coming year and its new group division has arrived), both
   as a page is usually served (its cards cached, ``licenses.page_cache``) and as the first
   visit after a change (the school's stamp replaced before every request), and
2. the throughput of "Licenties per kind" under gunicorn with 2 workers, driven by wrk on
   loopback, next to a trivial view (/healthz) under the same server in the same run.

Run with `make bench-pages` (needs PostgreSQL and wrk). Prints the load average before and
after, and a Markdown table.
`--server-time-only` skips the gunicorn/wrk part.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, setup_django

# The rendered cards live in Redis, as in production (settings CACHES["pages"]); a database of
# its own, emptied at the start, so nothing an earlier run kept is served.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["REDIS_URL"] = BENCH_REDIS_URL
setup_django("bingel_bench", allowed_hosts="127.0.0.1,testserver")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from licenses import actions, new_year, stamps  # noqa: E402
from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, Seat  # noqa: E402
from licenses.year_levels import remember_year_levels  # noqa: E402
from roster.access import BASISPOORT_ID_SESSION_KEY  # noqa: E402
from roster.models import Appointment, AppointmentRole, Group, Pupil, Role, School, Staff  # noqa: E402
from roster.school_year import next_school_year, school_year_of  # noqa: E402

PUPILS, GROUPS, LICENCES, SEATS_TAKEN = 1200, 50, 60, 800


def build() -> tuple[School, Client]:
    call_command("migrate", verbosity=0)
    school = School.objects.create(basispoort_id=999_001, name="Grootste school", brin="99ZZ", dependancecode="00")
    groups = Group.objects.bulk_create(
        [
            Group(
                school=school, las_key=f"B{i}", name=f"Groep {1 + i % 8}{'abcdefg'[i // 8]}", jaargroep=str(1 + i % 8)
            )
            for i in range(GROUPS)
        ]
    )
    pupils = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                basispoort_id=5_000_000 + i,
                first_name=f"Kind{i}",
                last_name="de Bank",
                group=groups[i % GROUPS],
                jaargroep=groups[i % GROUPS].jaargroep,
            )
            for i in range(PUPILS)
        ]
    )
    method, _ = Method.objects.get_or_create(code="bench", defaults={"name": "Benchmethode"})
    year = school_year_of(timezone.localdate())
    per_pupil = []
    for n in range(LICENCES):
        product, _ = Product.objects.get_or_create(
            code=f"bench-{n}",
            defaults={
                "method": method,
                "name": f"Product {n}",
                "product_type": "oefensoftware",
                "year_levels": [str(1 + n % 8)],
            },
        )
        if n % 2:
            per_pupil.append(
                Licence.objects.create(
                    school=school, product=product, school_year=year, kind=LicenceKind.PER_PUPIL, seats=40
                )
            )
        else:
            licence = Licence.objects.create(
                school=school, product=product, school_year=year, kind=LicenceKind.PER_GROUP
            )
            GroupLink.objects.bulk_create(
                [GroupLink(licence=licence, group=g, school=school) for g in groups if g.jaargroep == str(1 + n % 8)]
            )
    per_licence = SEATS_TAKEN // len(per_pupil)
    Seat.objects.bulk_create(
        [
            Seat(licence=lic, pupil=p, school=school)
            for k, lic in enumerate(per_pupil)
            for p in pupils[k * per_licence : (k + 1) * per_licence]
        ]
    )
    # The coming school year: every licence bought again (fewer seats), the roster's levels kept
    # by the nightly job, then the new group division arriving.
    coming = next_school_year(year)
    for licence in list(Licence.objects.filter(school=school, school_year=year)):
        Licence.objects.create(
            school=school,
            product=licence.product,
            school_year=coming,
            kind=licence.kind,
            seats=20 if licence.seats else None,
        )
    school.mutation_timestamp = timezone.now()
    school.save()
    remember_year_levels([school.pk])
    school.mutation_timestamp = timezone.make_aware(timezone.datetime(int(coming[:4]), 8, 20))
    school.save()
    staff, _ = Staff.objects.get_or_create(basispoort_id=999_002, defaults={"first_name": "Bench", "last_name": "Co"})
    appointment = Appointment.objects.create(staff=staff, school=school)
    AppointmentRole.objects.create(appointment=appointment, role=Role.ICT_COORDINATOR)
    user, _ = get_user_model().objects.get_or_create(username="bench-coordinator")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[BASISPOORT_ID_SESSION_KEY] = str(staff.basispoort_id)
    session.save()
    return school, client


def median_ms(client: Client, url: str, runs: int = 40) -> float:
    for _ in range(5):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def median_after_change_ms(client: Client, url: str, school: School, runs: int = 15) -> float:
    """The first visit after a roster night: the school's stamp is replaced, so every card is built again."""
    timings = []
    for _ in range(runs):
        stamps.bump([school.pk])
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def coordinator_changes(school: School) -> dict[str, Callable[[], None]]:
    """Each kind of change a coordinator makes, through its action, as pairs that undo each other
    (link/unlink, seat/release, Nieuw schooljaar applied/its link undone), so every run starts
    from the same school."""
    year = school_year_of(timezone.localdate())
    group_licence = Licence.objects.filter(school=school, school_year=year, kind=LicenceKind.PER_GROUP).first()
    group = Group.objects.filter(school=school).exclude(licence_links__licence=group_licence).first()
    pupil_licence = Licence.objects.filter(school=school, school_year=year, kind=LicenceKind.PER_PUPIL).first()
    pupil = Pupil.objects.filter(school=school).exclude(seats__licence=pupil_licence).first()
    key = sorted(new_year.build_plan(school).proposals())[0]
    kind, target, thing = key.split("-")

    def undo_new_year() -> None:
        if kind == "g":
            actions.unlink_group(school=school, licence_id=int(target), group_id=int(thing), actor=None)
        else:
            actions.release_seat(school=school, licence_id=int(target), pupil_id=int(thing), actor=None)

    return {
        "link": lambda: actions.link_groups(
            school=school, licence_id=group_licence.pk, group_ids=[group.pk], actor=None
        ),
        "unlink": lambda: actions.unlink_group(
            school=school, licence_id=group_licence.pk, group_id=group.pk, actor=None
        ),
        "seat": lambda: actions.assign_seat(school=school, licence_id=pupil_licence.pk, pupil_id=pupil.pk, actor=None),
        "release": lambda: actions.release_seat(
            school=school, licence_id=pupil_licence.pk, pupil_id=pupil.pk, actor=None
        ),
        "apply Nieuw schooljaar (one proposal)": lambda: actions.apply_new_year(
            school=school, keys=[key], shown=[key], actor=None
        ),
        "(undo Nieuw schooljaar)": undo_new_year,
    }


def after_each_change(client: Client, pages: list[tuple[str, str]], school: School, runs: int = 15) -> list[str]:
    """The first visit to each page after each kind of change: median server time and CPU time
    of this process (the app and the test client) per request. A change whose name is in
    brackets only undoes the one before it; the visit after it is not counted."""
    changes = coordinator_changes(school)
    wall: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(runs):
        for page_name, url in pages:
            for change_name, change in changes.items():
                change()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                wall[change_name, page_name].append((time.perf_counter() - start) * 1000)
                cpu[change_name, page_name].append((time.process_time() - start_cpu) * 1000)
                assert response.status_code == 200
            stamps.bump([school.pk])  # as a roster night
            start, start_cpu = time.perf_counter(), time.process_time()
            assert client.get(url).status_code == 200
            wall["(a roster night: every card)", page_name].append((time.perf_counter() - start) * 1000)
            cpu["(a roster night: every card)", page_name].append((time.process_time() - start_cpu) * 1000)
            for _other, other_url in pages:  # every page cached again before the next change
                assert client.get(other_url).status_code == 200
    rows = []
    for change_name in [*changes, "(a roster night: every card)"]:
        if change_name == "(undo Nieuw schooljaar)":
            continue
        figures = " | ".join(
            f"{statistics.median(wall[change_name, p]):.1f} ms ({statistics.median(cpu[change_name, p]):.1f} ms CPU)"
            for p, _url in pages
        )
        rows.append(f"| {change_name} | {figures} |")
    return rows


def cached_cpu(client: Client, pages: list[tuple[str, str]], runs: int = 40) -> str:
    """CPU time of this process per cached visit, median, for the three pages."""
    figures = []
    for _name, url in pages:
        timings = []
        for _ in range(runs):
            start = time.process_time()
            assert client.get(url).status_code == 200
            timings.append((time.process_time() - start) * 1000)
        figures.append(f"{statistics.median(timings):.1f} ms CPU")
    return "| (no change: cards cached) | " + " | ".join(figures) + " |"


def wrk(url: str, cookie: str, seconds: int = 10) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} error responses under load\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    if not shutil.which("wrk") and "--server-time-only" not in sys.argv:
        raise SystemExit("wrk is missing: apt-get install wrk")
    load_before = load()
    from django.core.cache import caches

    caches["pages"].clear()
    print(f"Page cache: {type(caches['pages']).__name__} at {BENCH_REDIS_URL}")
    school, client = build()
    pages = [
        ("Licenties per groep", reverse("licences_per_group", args=[school.pk])),
        ("Licenties per kind", reverse("licences_per_pupil", args=[school.pk])),
        ("Nieuw schooljaar", reverse("licence_new_year", args=[school.pk])),
    ]
    warm = {name: median_ms(client, url) for name, url in pages}
    per_change = after_each_change(client, pages, school)
    cold = {name: median_after_change_ms(client, url, school) for name, url in pages}
    proposals = client.get(pages[2][1]).content.decode().count('name="voorstel"')
    rows = []
    for name, _url in pages:
        label = f"{name} ({proposals} proposals)" if name == "Nieuw schooljaar" else name
        rows.append(f"| median server time, {label} | {warm[name]:.1f} ms | ≤ 15 ms |")
    for name, _url in pages:
        rows.append(
            f"| median server time, {name}, first visit after a roster night (every card) | {cold[name]:.1f} ms | |"
        )
    if "--server-time-only" not in sys.argv:
        rows += throughput(pages[1][1], client)
    print(f"Load average (1/5/15 min) before the run: {load_before}; after: {load()}")
    print()
    print("| measure | figure | target |")
    print("|---|---|---|")
    print("\n".join(rows))
    print()
    print("First visit after a coordinator's change, median of 15 (server time, and CPU time of the process):")
    print()
    print("| change | " + " | ".join(name for name, _url in pages) + " |")
    print("|---|---|---|---|")
    print("\n".join(per_change))
    print(cached_cpu(client, pages))


def throughput(per_pupil: str, client: Client) -> list[str]:
    """/healthz and "Licenties per kind" under gunicorn (2 sync workers) and wrk, one run."""
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection.close()
    port = 8931
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bingel_admin.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                subprocess.run(["wrk", "-t1", "-c1", "-d1s", base + "/healthz"], capture_output=True, check=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        load_before = load()
        trivial = wrk(base + "/healthz", cookie)
        page = wrk(base + per_pupil, cookie)
        load_after = load()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [
        f"| trivial view (/healthz), gunicorn 2 workers, wrk 2 threads × 8 connections, 10 s | {trivial:.0f} req/s | |",
        f"| Licenties per kind, same server and load | {page:.0f} req/s ({100 * page / trivial:.0f} % of trivial) "
        "| ≥ 30 % |",
        f"| load average (1/5/15 min) before / after the two wrk runs | {load_before} → {load_after} | |",
    ]


if __name__ == "__main__":
    main()
