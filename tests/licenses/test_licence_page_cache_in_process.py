"""Each process keeps the licence cards it served last in memory, in front of the shared cache.

An entry's key names exactly what it shows (the school's stamp tokens, language, date, code), so
an entry kept in one process's memory is never stale: a change anywhere gives a new key.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.records import Actor
from licenses import actions, page_cache
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def page(client, name: str, school_pk: int) -> str:
    response = client.get(reverse(name, args=[school_pk]))
    assert response.status_code == 200
    return response.content.decode()


class CountingCache:
    """Stands between the cards and the shared cache (Redis in the tests) and counts reads."""

    def __init__(self, shared):
        self.shared, self.reads = shared, 0

    def get(self, key, default=None):
        self.reads += 1
        return self.shared.get(key, default)

    def get_many(self, keys):
        self.reads += 1
        return self.shared.get_many(keys)

    def set(self, *args, **kwargs):
        return self.shared.set(*args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self.shared.set_many(*args, **kwargs)


@pytest.fixture
def shared_reads(monkeypatch):
    counting = CountingCache(caches[page_cache.CACHE_ALIAS])
    monkeypatch.setattr(page_cache, "caches", {page_cache.CACHE_ALIAS: counting})
    return counting


def test_a_page_served_again_does_not_ask_the_shared_cache(client, world, licences, shared_reads):
    login_as(client, world.coordinator_a)
    first = page(client, "licences_per_pupil", world.school_a.pk)
    assert shared_reads.reads == 2  # the page's frame, then its licences' cards
    second = page(client, "licences_per_pupil", world.school_a.pk)
    assert shared_reads.reads == 2
    assert second.split('name="csrfmiddlewaretoken"')[0] == first.split('name="csrfmiddlewaretoken"')[0]


def test_another_process_finds_the_cards_in_the_shared_cache(client, world, licences, shared_reads):
    """A second worker has nothing in memory yet: it reads what the first one rendered."""
    login_as(client, world.coordinator_a)
    with CaptureQueriesContext(connection) as cold:
        page(client, "licences_per_group", world.school_a.pk)
    page_cache._recent.clear()  # as if the next request reached another process
    with CaptureQueriesContext(connection) as other:
        page(client, "licences_per_group", world.school_a.pk)
    # The frame and the cards, twice: the page joined from them is kept in the process's memory only.
    assert shared_reads.reads == 4
    # Neither the frame nor the cards were built again: the stamp is all it read of the licences.
    assert len(other.captured_queries) < len(cold.captured_queries)
    with CaptureQueriesContext(connection) as cached:
        page(client, "licences_per_group", world.school_a.pk)
    assert len(other.captured_queries) == len(cached.captured_queries)


def test_a_change_in_another_process_shows_although_this_one_kept_the_old_cards(client, world, licences):
    """The seat is taken by a call outside this client's requests (as another worker would);
    this process still holds the old cards in memory and must not serve them."""
    login_as(client, world.coordinator_a)
    licence, child = licences.pupil_licence, licences.pupils[3]
    assert "Jansen, Kind3" not in page(client, "licences_per_pupil", world.school_a.pk)
    actions.assign_seat(school=world.school_a, licence_id=licence.pk, pupil_id=child.pk, actor=Actor("Elders"))
    assert "Jansen, Kind3" in page(client, "licences_per_pupil", world.school_a.pk)


def test_memory_is_bounded_and_the_least_recently_used_go_first(settings):
    settings.PAGE_CACHE_LOCAL_CHARS = 10
    recent = page_cache._Recent()
    recent.put("a", "aaaa")
    recent.put("b", "bbbb")
    assert recent.get("a") == "aaaa"  # now "b" is the least recently used
    recent.put("c", "cccc")
    assert recent.get("b") is None
    assert recent.get("a") == "aaaa" and recent.get("c") == "cccc"
    recent.put("huge", "x" * 11)
    assert recent.get("huge") is None and recent.get("a") == "aaaa"
