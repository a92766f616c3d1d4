"""Shared set-up for the benchmarks: Django on a database of their own, recreated every run."""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_section(heading: str, text: str) -> None:
    """Replace the section ``heading`` of docs/PERFORMANCE.md (up to the next "## ") with ``text``,
    which starts with that heading; a section not there yet is added at the end."""
    doc = ROOT / "docs" / "PERFORMANCE.md"
    current = doc.read_text(encoding="utf-8")
    section = text.rstrip() + "\n"
    pattern = re.compile(re.escape(heading) + r"\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _match: section, current, count=1)
    else:
        current = current.rstrip() + "\n\n" + section
    doc.write_text(current, encoding="utf-8")


def wait_for_port(port: int, seconds: float = 10) -> None:
    """Until a server listens on 127.0.0.1:``port``, or ``seconds`` have passed (the caller's
    first request then says what is wrong)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


def setup_django(database_name: str, allowed_hosts: str = "127.0.0.1", *, recreate: bool = True) -> str:
    """Point Django at ``database_name`` (or BENCH_DATABASE_URL), recreate that database (unless a
    measuring subprocess reads what its parent built), set Django up."""
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database_name}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bingel_admin.settings",
        DATABASE_URL=url,
        DEBUG="false",
        DJANGO_ENV="development",
        ALLOWED_HOSTS=allowed_hosts,
    )
    if recreate:
        _recreate(url)
    import django

    django.setup()
    return url


def _recreate(url: str) -> None:
    """Every run starts from an empty database of its own, so figures are comparable."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
