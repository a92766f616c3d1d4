"""The export's work per batch is fixed: the same queries for a batch of 10 as for one of 100,
and each pupil's ECK iD opened once per batch, however many of its results the batch carries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import export
from roster import eckid
from tests.factories import make_pupil
from tests.lvs_helpers import make_result_link, make_supplier, store

pytestmark = pytest.mark.django_db

# Per batch: the link read again; the pending batch and the queued ids; taking the batch
# (savepoint, no waiting for the disk, insert, one update of its deliveries, release); reading
# its results; the confirmation (savepoint, batch, link, release).
QUERIES_PER_BATCH = 13


@pytest.fixture
def pupils(world):
    group = world.school_a.groups.first()
    return [
        make_pupil(
            world.school_a,
            group,
            f"Kind{i}",
            "Test",
            eckid_encrypted=eckid.seal(f"https://ketenid.nl/201703/{i:064x}")[0],
        )
        for i in range(4)
    ]


@pytest.fixture
def link(world, reference_lvs):
    return make_result_link(world.school_a, make_supplier("Momento", reference_lvs[1]))


def queries_to_deliver(link, pupils, settings, batch_size: int, batches: int, prefix: str) -> int:
    settings.UWLR_BATCH_SIZE = batch_size
    store(pupils, batch_size * batches, prefix=prefix)
    with CaptureQueriesContext(connection) as queries:
        run = export.deliver_link(link.pk)
    assert (run.batches, run.results) == (batches, batch_size * batches)
    return len(queries)


def test_queries_per_batch_do_not_grow_with_the_batch(link, pupils, settings):
    small = queries_to_deliver(link, pupils, settings, batch_size=10, batches=3, prefix="s")
    large = queries_to_deliver(link, pupils, settings, batch_size=100, batches=3, prefix="l")
    assert small == large
    one = queries_to_deliver(link, pupils, settings, batch_size=100, batches=1, prefix="o")
    assert (large - one) / 2 <= QUERIES_PER_BATCH


def test_an_eckid_is_opened_once_per_batch(link, reference_lvs, pupils, settings, monkeypatch):
    opened = []
    monkeypatch.setattr(export, "reveal_eckid", lambda sealed: opened.append(sealed) or eckid.reveal(sealed))
    queries_to_deliver(link, pupils, settings, batch_size=20, batches=2, prefix="e")
    assert len(opened) == 2 * len(pupils)
    assert [len(message) for message in reference_lvs[0].messages] == [20, 20]
