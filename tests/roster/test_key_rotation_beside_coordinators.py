"""Key rotation runs beside the day's work: a coordinator changing a login code during
``rotate_field_keys`` never waits more than a moment, the rotation never waits for the
coordinator, and every code is re-sealed exactly once (the changed one under the new keys).

Real PostgreSQL, real threads each with their own connection; a watcher reads
``pg_stat_activity`` the whole time for any session waiting on a lock.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, transaction

from bingel_admin import crypto
from roster import login_codes, sealing
from roster.models import GroupLoginMethod, LoginMethod, Pupil, PupilLoginCode
from tests.factories import make_school_in_bulk

pytestmark = pytest.mark.django_db(transaction=True)

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
OLD_FINGERPRINT_KEY = "fingerprint-key-before-the-rotation-0123456789"
NEW_FINGERPRINT_KEY = "fingerprint-key-after-the-rotation-01234567890"
PUPILS = 3000
BATCH = 100
# Each code is opened a little slower in the rotation's thread, so that a batch of 100 takes
# about 0.1 s and the whole rotation some seconds: long enough for a coordinator to act within it.
SLOWER = 0.001
MAY_WAIT = 1.0


@pytest.fixture
def codes(settings):
    """De Linde's 3,000 pupils with a code each, sealed under the old keys."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = OLD_FINGERPRINT_KEY
    _, groups, pupils = make_school_in_bulk("De Linde", groups=30, pupils=PUPILS)
    GroupLoginMethod.objects.bulk_create(GroupLoginMethod(group=g, method=LoginMethod.NUMBERS) for g in groups)
    PupilLoginCode.objects.bulk_create(
        PupilLoginCode(
            pupil=pupil,
            method=LoginMethod.NUMBERS,
            code_encrypted=crypto.encrypt(f"{n:04d}"),
            code_fingerprint=crypto.fingerprint(f"{n:04d}"),
        )
        for n, pupil in enumerate(pupils)
    )
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    settings.FIELD_FINGERPRINT_KEY = NEW_FINGERPRINT_KEY
    return {code.pupil_id: code for code in PupilLoginCode.objects.order_by("pk")}


class Watcher(threading.Thread):
    """Samples pg_stat_activity every 10 ms; keeps the longest lock wait it saw (seconds)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.longest, self.queries = threading.Event(), 0.0, set()

    def run(self):
        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    cursor.execute(
                        "SELECT extract(epoch FROM now() - state_change), query FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                    for waited, query in cursor.fetchall():
                        self.longest = max(self.longest, float(waited))
                        self.queries.add(query[:80])
                    time.sleep(0.01)
        finally:
            connection.close()


class Rotation(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.output, self.error, self.finished_at = io.StringIO(), None, None

    def run(self):
        try:
            call_command("rotate_field_keys", batch=BATCH, stdout=self.output)
        except BaseException as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            connection.close()


@pytest.fixture
def rotation_seen(monkeypatch):
    """Slows the rotation's thread a little and records every login code it writes."""
    written: Counter = Counter()
    batches = threading.Semaphore(0)
    real_decrypt, real_update = crypto.decrypt, sealing.update_values

    def decrypt(token):
        if isinstance(threading.current_thread(), Rotation):
            time.sleep(SLOWER)
        return real_decrypt(token)

    def update_values(model, fields, rows):
        real_update(model, fields, rows)
        if model is PupilLoginCode:
            written.update(row[0] for row in rows)
            batches.release()

    monkeypatch.setattr(crypto, "decrypt", decrypt)
    monkeypatch.setattr(sealing, "update_values", update_values)
    return written, batches


def assert_sealed_under_the_new_keys(codes, expected: dict[int, str]):
    for row in PupilLoginCode.objects.all():
        assert crypto.is_current(row.code_encrypted)
        code = crypto.decrypt(row.code_encrypted)
        assert code == expected[row.pupil_id]
        assert row.code_fingerprint == crypto.fingerprint(code)


def test_a_coordinator_changing_codes_during_the_rotation_never_waits(codes, rotation_seen):
    written, batches = rotation_seen
    pupils = {p.pk: p for p in Pupil.objects.select_related("group").filter(pk__in=codes)}
    # Ahead of the rotation, in the middle and near the end of the table.
    chosen = [pupils[pk] for pk in list(codes)[PUPILS // 2 :: 400]]
    expected = {pk: f"{n:04d}" for n, pk in enumerate(codes)}
    waits, changed_at = [], []

    def coordinator():
        try:
            for pupil in chosen:
                new_code = f"9{pupil.pk % 1000:03d}"
                began = time.monotonic()
                login_codes.set_pupil_code(pupil=pupil, raw_code=new_code, actor=None)
                waits.append(time.monotonic() - began)
                changed_at.append(time.monotonic())
                expected[pupil.pk] = new_code
                time.sleep(0.05)
        finally:
            connection.close()

    watcher, rotation = Watcher(), Rotation()
    watcher.start()
    rotation.start()
    assert batches.acquire(timeout=30), "the rotation never wrote a batch"
    helper = threading.Thread(target=coordinator, daemon=True)
    helper.start()
    helper.join(60)
    rotation.join(120)
    watcher.stop.set()
    watcher.join(5)

    assert rotation.error is None, rotation.error
    assert len(waits) == len(chosen) >= 3
    assert max(waits) < MAY_WAIT, f"a code change took {max(waits):.2f} s"
    assert max(changed_at) < rotation.finished_at, "the coordinator's changes fell within the rotation"
    assert watcher.longest < MAY_WAIT, f"a session waited {watcher.longest:.2f} s on a lock: {watcher.queries}"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    assert f"{PUPILS} inlogcodes" in rotation.output.getvalue()
    assert_sealed_under_the_new_keys(codes, expected)


def test_the_rotation_skips_a_code_a_coordinator_holds_and_takes_it_afterwards(codes, rotation_seen):
    written, batches = rotation_seen
    held_pk = list(codes)[10]  # in the rotation's first batch
    pupil = Pupil.objects.select_related("group").get(pk=held_pk)
    expected = {pk: f"{n:04d}" for n, pk in enumerate(codes)}
    expected[held_pk] = "4321"
    holding, release = threading.Event(), threading.Event()

    def slow_coordinator():
        # A coordinator's request that changed the code and has not committed yet.
        try:
            with transaction.atomic():
                login_codes.set_pupil_code(pupil=pupil, raw_code="4321", actor=None)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    helper = threading.Thread(target=slow_coordinator, daemon=True)
    helper.start()
    assert holding.wait(10)
    watcher, rotation = Watcher(), Rotation()
    watcher.start()
    rotation.start()
    # The coordinator commits only once the rotation has gone on past the held row
    # (or after 3 s, if the rotation were stuck waiting for it).
    for _ in range(5):
        batches.acquire(timeout=3)
    release.set()
    helper.join(10)
    rotation.join(120)
    watcher.stop.set()
    watcher.join(5)

    assert rotation.error is None, rotation.error
    assert watcher.longest < MAY_WAIT, f"a session waited {watcher.longest:.2f} s on a lock: {watcher.queries}"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    assert_sealed_under_the_new_keys(codes, expected)
