"""Say in one line how to start PostgreSQL or Redis when a test run cannot reach them."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = [
    (
        "PostgreSQL",
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bingel"),
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    (
        "Redis",
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    ),
]

failed = False
for name, url, how in SERVICES:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=2).close()
    except OSError:
        print(f"{name} is not reachable at {parsed.hostname}:{parsed.port} — start it with: {how}", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
