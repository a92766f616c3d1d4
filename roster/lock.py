"""The lock that keeps two roster imports apart, used by the nightly task and by ``sync_roster``.

A Redis key set with ``SET NX`` and an expiry: whoever holds it runs; it is released (only by
its owner) when the run closes, and the expiry frees it should a worker die mid-run. Without
Redis (the local demo) there is nothing to lock against.

The key lives in Redis, which may be restarted without its data or emptied by mistake: a run
still open in the database (``ImportRun`` "running") therefore also refuses the lock, until it
closes or the sweep closes it (``ROSTER_RUN_MAX_HOURS``). Two runs never go side by side.
"""

from __future__ import annotations

import redis
from django.conf import settings

from roster.models import ImportRun, ImportRunStatus

LOCK_KEY = "bingel:roster-import-lock"
LOCK_SECONDS = 6 * 3600
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def redis_client() -> redis.Redis | None:
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def acquire_lock(owner: str) -> bool:
    client = redis_client()
    if client is None:
        return True
    if not client.set(LOCK_KEY, owner, nx=True, ex=LOCK_SECONDS):
        return False
    if ImportRun.objects.filter(status=ImportRunStatus.RUNNING).exists():
        # The key was lost (Redis emptied or restarted without its data) while a run is open.
        release_lock(owner)
        return False
    return True


def release_lock(owner: str) -> None:
    client = redis_client()
    if client is not None:
        client.eval(_RELEASE, 1, LOCK_KEY, owner)
