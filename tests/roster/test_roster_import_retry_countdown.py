"""A chunk's retries are spread but never near zero: each waits at least half of its doubling
back-off, capped at ``ROSTER_TASK_RETRY_BACKOFF_MAX``, so the tries span the outage they are meant
to ride out (jitter down to zero once let three retries pass within a PostgreSQL restart)."""

from __future__ import annotations

from roster.tasks import retry_countdown


def test_each_retry_waits_between_half_and_all_of_its_doubling_back_off(settings):
    settings.ROSTER_TASK_RETRY_BACKOFF = 30
    settings.ROSTER_TASK_RETRY_BACKOFF_MAX = 600
    for retries, base in [(0, 30), (1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (12, 600)]:
        waits = [retry_countdown(retries) for _ in range(200)]
        assert all(base / 2 <= wait <= base for wait in waits), (retries, min(waits), max(waits))
        assert max(waits) - min(waits) > base / 10, "the chunks of a run do not all come back at once"
