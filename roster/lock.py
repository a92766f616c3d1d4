"""The lock that keeps two roster imports apart, used by the nightly task and by ``sync_roster``.

A Redis key set with ``SET NX`` and an expiry: whoever holds it runs; it is released (only by
its owner) when the run closes, and the expiry frees it should a worker die mid-run. Without
Redis (the local demo) there is nothing to lock against.
"""

from __future__ import annotations

import redis
from django.conf import settings

LOCK_KEY = "bingel:roster-import-lock"
LOCK_SECONDS = 6 * 3600
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def redis_client() -> redis.Redis | None:
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def acquire_lock(owner: str) -> bool:
    client = redis_client()
    return client is None or bool(client.set(LOCK_KEY, owner, nx=True, ex=LOCK_SECONDS))


def release_lock(owner: str) -> None:
    client = redis_client()
    if client is not None:
        client.eval(_RELEASE, 1, LOCK_KEY, owner)
