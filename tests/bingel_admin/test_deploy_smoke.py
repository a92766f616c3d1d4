"""The production image's own build and start commands work, outside a container.

The Dockerfile is built (fresh virtualenv from the runtime lock only, collectstatic under the
build-only settings), then docker-compose.yml's web, worker and beat commands run with production
settings against local PostgreSQL and Redis: migrations, gunicorn answering /readyz through the
compose health check, a Celery worker and beat passing theirs, and one real nightly roster
import through the worker. A Dockerfile whose build fails fails here too.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from roster import tasks
from tests import deploy
from tests.roster_feed import group, pupil, school, staff, write_feed
from tests.servers import free_port

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
        or not django_settings.REDIS_URL,
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]
HOST = "beheer.example.nl"
SCHOOLS = [701_001, 701_002]


def deploy_database_url() -> str:
    parts = urlsplit(django_settings.DATABASE_URL)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_deploy"))


def admin_connection() -> psycopg.Connection:
    parts = urlsplit(django_settings.DATABASE_URL)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


@pytest.fixture
def deploy_database():
    url = deploy_database_url()
    name = urlsplit(url).path.lstrip("/")
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deploy_redis(settings):
    """The smoke test's broker: DEPLOY_REDIS_URL, else the tests' Redis; emptied of our keys first."""
    url = os.environ.get("DEPLOY_REDIS_URL") or settings.REDIS_URL
    redis.Redis.from_url(url).delete("celery", tasks.LOCK_KEY)
    return url


@pytest.fixture
def workspace():
    path = deploy.workspace()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def get(port: int, path: str, **headers) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": HOST, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def wait_for_import(database_url: str, seconds: float = 90) -> tuple:
    deadline = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            query = "SELECT status, schools_total, schools_done, schools_failed FROM roster_importrun"
            row = conn.execute(query).fetchone()
            if row and row[0] != "running":
                schools = conn.execute("SELECT count(*) FROM roster_school").fetchone()[0]
                return (*row, schools)
            time.sleep(0.5)
    raise AssertionError("the nightly import sent to the worker did not finish")


def test_the_image_builds_and_its_services_start_and_work(workspace, deploy_database, deploy_redis):
    started = time.monotonic()

    def phase(name: str) -> None:
        print(f"{time.monotonic() - started:6.1f} s  {name}")

    image = deploy.build(workspace)
    phase(f"built (virtualenv from cache: {image.venv_from_cache})")
    assert image.user and image.user[0] != 0, "the image must not run as root"

    # What the build left in /app: the collected, hashed static files; no secrets, no tests.
    app = image.path("/app")
    assert (app / "static_root" / "staticfiles.json").exists()
    for absent in (".env", "var", ".git", ".venv", "tests", "devidp", "requirements/dev.lock"):
        assert not (app / absent).exists(), absent
    installed = {p.name.split("-")[0].lower() for p in (image.venv / "lib").glob("python3.*/site-packages/*.dist-info")}
    assert {"django", "gunicorn", "celery", "redis", "cryptography", "psycopg"} <= installed
    assert not installed & {"pytest", "playwright", "bandit", "django_oauth_toolkit", "hypothesis", "ruff"}

    feed = image.path("/tmp/feed")
    docs = [
        school(bp, groups=[group("G6")], staff=[staff(bp + 1000, ["Leerkracht"], ["G6"])], pupils=[pupil(bp + 5, "G6")])
        for bp in SCHOOLS
    ]
    write_feed(feed, docs)
    for path in [feed, *feed.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    dotenv = deploy.env_file_values(
        deploy.ROOT,
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": deploy_database,
            "REDIS_URL": deploy_redis,
            "BASISPOORT_OIDC_CLIENT_SECRET": secrets.token_urlsafe(20),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "FIELD_FINGERPRINT_KEY": secrets.token_urlsafe(32),
        },
    )
    port = free_port()
    extra = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",  # the port mapping: a free port instead of 8000
        "GUNICORN_WORKERS": "2",
        "HOSTNAME": socket.gethostname(),  # what a container sets; the worker's node name uses it
        "ROSTER_FOLDER": str(feed),
    }
    logs = workspace / "logs"
    logs.mkdir()
    processes = []
    try:
        web = deploy.service(image, "web", dotenv, extra)
        assert "migrate" in " ".join(web.command) and web.env["DJANGO_ENV"] == "production"
        processes.append(deploy.start(image, web, logs / "web.log"))
        deploy.wait_healthy(image, web, processes[-1], logs / "web.log")
        phase("web migrated and healthy")

        ready = get(port, "/readyz", **{"X-Forwarded-Proto": "https"})
        assert (ready.status, ready.body) == (200, b"ok")  # the public answer; details need the token
        assert get(port, "/readyz").status == 301  # production sends plain HTTP to HTTPS
        login = get(port, "/inloggen/", **{"X-Forwarded-Proto": "https"})
        assert login.status == 200
        stylesheets = re.findall(rb'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', login.body)
        assert stylesheets, "the login page links no hashed stylesheet"
        assert get(port, stylesheets[0].decode()).status == 200  # served by whitenoise from the build

        worker = deploy.service(image, "worker", dotenv, extra)
        processes.append(deploy.start(image, worker, logs / "worker.log"))
        deploy.wait_healthy(image, worker, processes[-1], logs / "worker.log")
        phase("worker healthy")
        beat = deploy.service(image, "beat", dotenv, extra)
        processes.append(deploy.start(image, beat, logs / "beat.log"))
        deploy.wait_healthy(image, beat, processes[-1], logs / "beat.log")
        phase("beat healthy")

        sent = deploy.run_in_image(
            image,
            worker,
            ["python", "manage.py", "shell", "-c", "from roster.tasks import nightly_roster_import as t; t.delay()"],
        )
        assert sent.returncode == 0, sent.stderr
        assert wait_for_import(deploy_database) == ("finished", 2, 2, 0, 2), (logs / "worker.log").read_text()[-4000:]
        phase("nightly import run by the worker")
        assert all(p.poll() is None for p in processes), "a service stopped"
    finally:
        for process in processes:
            deploy.stop(process)


BROKEN_BUILD = """
# The Dockerfile as it was: production settings with placeholder secrets for collectstatic.
RUN DJANGO_ENV=production SECRET_KEY=build-only-placeholder DEBUG=false ALLOWED_HOSTS=build \\
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \\
    BASISPOORT_OIDC_CLIENT_SECRET=build python manage.py collectstatic --noinput
"""


def test_a_dockerfile_whose_build_fails_fails_the_smoke_test(workspace):
    text = (deploy.ROOT / "Dockerfile").read_text()
    collect = re.search(r"^RUN .*collectstatic.*$", text, re.MULTILINE)
    assert collect, "the Dockerfile no longer collects static files"
    broken = text.replace(collect.group(0), BROKEN_BUILD.strip())

    with pytest.raises(deploy.BuildFailed, match="FIELD_ENCRYPTION_KEYS"):
        deploy.build(workspace, dockerfile_text=broken)
