"""Key rotation runs beside the day's work: a coordinator changing a login code during
``rotate_field_keys`` never waits more than a moment, the rotation never waits for the
coordinator, never holds a lock on the codes table for a second, not even when one of its
batches is slowed, and every code is re-sealed exactly once (the changed one under the new keys).

Real PostgreSQL, real threads each with their own connection; a watcher reads
``pg_stat_activity`` the whole time for any session waiting on a lock, and ``pg_locks`` for how
long the rotation's transaction has held a lock on the codes table.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
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
# The longest the rotation may hold a lock on the codes table (issue #30).
MAY_HOLD = 1.0
# A slowed batch: one code that takes this long to open, or one write of the codes that stalls.
STALL = 1.5


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
    """Samples every 10 ms pg_stat_activity for the longest lock wait of any session
    (``longest``) and pg_locks for the longest the rotation's transaction has held a lock on the
    codes table that a writer conflicts with, anything above ACCESS SHARE (``held``), in seconds."""

    def __init__(self, rotation):
        super().__init__(daemon=True)
        self.rotation = rotation
        self.stop, self.longest, self.queries, self.held = threading.Event(), 0.0, set(), 0.0

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
                    cursor.execute(
                        "SELECT max(extract(epoch FROM clock_timestamp() - a.xact_start)) FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.pid = %s AND l.granted "
                        "AND l.relation = %s::regclass AND l.mode <> 'AccessShareLock'",
                        [self.rotation.pid, PupilLoginCode._meta.db_table],
                    )
                    self.held = max(self.held, float(cursor.fetchone()[0] or 0))
                    time.sleep(0.01)
        finally:
            connection.close()


class Rotation(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.output, self.error, self.finished_at, self.pid = io.StringIO(), None, None, None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
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
    real_decrypt, real_write = crypto.decrypt, sealing._compare_and_set

    def decrypt(token):
        if isinstance(threading.current_thread(), Rotation):
            time.sleep(SLOWER)
        return real_decrypt(token)

    def compare_and_set(model, *args):
        keys = real_write(model, *args)
        if model is PupilLoginCode:
            written.update(keys)
            batches.release()
        return keys

    monkeypatch.setattr(crypto, "decrypt", decrypt)
    monkeypatch.setattr(sealing, "_compare_and_set", compare_and_set)
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

    rotation = Rotation()
    watcher = Watcher(rotation)
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
    assert watcher.held < MAY_HOLD, f"the rotation held the codes table locked for {watcher.held:.2f} s"
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
    rotation = Rotation()
    watcher = Watcher(rotation)
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
    assert watcher.held < MAY_HOLD, f"the rotation held the codes table locked for {watcher.held:.2f} s"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    assert_sealed_under_the_new_keys(codes, expected)


def rotate_alone():
    """The rotation with nobody else at work, watched; returns the watcher."""
    rotation = Rotation()
    watcher = Watcher(rotation)
    watcher.start()
    rotation.start()
    rotation.join(120)
    watcher.stop.set()
    watcher.join(5)
    assert rotation.error is None, rotation.error
    return watcher


def test_a_code_slow_to_open_never_keeps_the_codes_table_locked(codes, rotation_seen, monkeypatch):
    # The machine stalls while the rotation opens one code in the middle of the table: the
    # decrypting, encrypting and fingerprinting are done before any row is locked.
    written, _ = rotation_seen
    slow_token = list(codes.values())[PUPILS // 2].code_encrypted
    real_decrypt = crypto.decrypt

    def decrypt(token):
        if token == slow_token and isinstance(threading.current_thread(), Rotation):
            time.sleep(STALL)
        return real_decrypt(token)

    monkeypatch.setattr(crypto, "decrypt", decrypt)

    watcher = rotate_alone()

    assert watcher.held < MAY_HOLD, f"the rotation held the codes table locked for {watcher.held:.2f} s"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    assert_sealed_under_the_new_keys(codes, {pk: f"{n:04d}" for n, pk in enumerate(codes)})


@pytest.fixture
def first_write_stalls():
    """The first row the codes table is asked to update stalls the statement for STALL seconds
    (a sequence, not a table, counts: it is not rolled back with a cancelled statement)."""
    table = PupilLoginCode._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE stall_once")
        cursor.execute(
            "CREATE FUNCTION stall_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF nextval('stall_once') = 1 THEN PERFORM pg_sleep({STALL}); END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            f'CREATE TRIGGER stall_once BEFORE UPDATE ON "{table}" FOR EACH ROW EXECUTE FUNCTION stall_once()'
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER stall_once ON "{table}"')
        cursor.execute("DROP FUNCTION stall_once()")
        cursor.execute("DROP SEQUENCE stall_once")


def test_a_write_that_stalls_is_cancelled_before_the_codes_table_was_locked_a_second(
    codes, rotation_seen, first_write_stalls
):
    # The database itself stalls on the rotation's first write of codes (a disk, a checkpoint):
    # PostgreSQL cancels that write at sealing.LOCK_LIMIT_MS, which releases its locks, and its
    # rows are written again.
    written, _ = rotation_seen

    watcher = rotate_alone()

    assert watcher.held < MAY_HOLD, f"the rotation held the codes table locked for {watcher.held:.2f} s"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    assert_sealed_under_the_new_keys(codes, {pk: f"{n:04d}" for n, pk in enumerate(codes)})


def test_a_code_changed_between_the_rotations_read_and_its_write_is_not_overwritten(codes, rotation_seen, monkeypatch):
    # The rotation has read a batch and is computing it when a coordinator changes one of its
    # codes and commits: the rotation's write of the value it read must not land.
    written, _ = rotation_seen
    target = list(codes.values())[PUPILS // 2]
    pupil = Pupil.objects.select_related("group").get(pk=target.pupil_id)
    real_decrypt, changed = crypto.decrypt, threading.Event()

    def coordinator():
        try:
            login_codes.set_pupil_code(pupil=pupil, raw_code="4321", actor=None)
            changed.set()
        finally:
            connection.close()

    def decrypt(token):
        if token == target.code_encrypted and isinstance(threading.current_thread(), Rotation):
            helper = threading.Thread(target=coordinator, daemon=True)
            helper.start()
            helper.join(5)
        return real_decrypt(token)

    monkeypatch.setattr(crypto, "decrypt", decrypt)

    watcher = rotate_alone()

    assert changed.is_set(), "the coordinator's change waited for the rotation"
    assert watcher.held < MAY_HOLD, f"the rotation held the codes table locked for {watcher.held:.2f} s"
    assert set(written) == {c.pk for c in codes.values()}
    assert set(written.values()) == {1}, "every code re-sealed exactly once"
    expected = {pk: f"{n:04d}" for n, pk in enumerate(codes)}
    expected[target.pupil_id] = "4321"
    assert_sealed_under_the_new_keys(codes, expected)


def test_a_code_held_past_the_wait_ends_the_run_saying_what_is_left(codes, monkeypatch):
    """A transaction left open on one code: the rotation does every other code, gives up on that
    one after HOLD_WAIT_SECONDS and says so, and never says the older keys may go."""
    monkeypatch.setattr(sealing, "HOLD_WAIT_SECONDS", 0.5)
    held_pk = list(codes)[10]
    pupil = Pupil.objects.select_related("group").get(pk=held_pk)
    holding, release = threading.Event(), threading.Event()

    def forgotten_transaction():
        try:
            with transaction.atomic():
                login_codes.set_pupil_code(pupil=pupil, raw_code="4321", actor=None)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    helper = threading.Thread(target=forgotten_transaction, daemon=True)
    helper.start()
    assert holding.wait(10)
    out = io.StringIO()
    try:
        with pytest.raises(CommandError, match="not yet: 1 ") as raised:
            call_command("rotate_field_keys", "--batch", str(BATCH), stdout=out)
    finally:
        release.set()
        helper.join(10)
    assert "run the command again" in str(raised.value)
    assert "can now be removed" not in out.getvalue()
    sealed = dict(PupilLoginCode.objects.values_list("pupil_id", "code_encrypted"))
    assert all(crypto.is_current(token) for pk, token in sealed.items() if pk != held_pk)
    assert crypto.decrypt(sealed[held_pk]) == "4321"  # the coordinator's code, committed after the run
