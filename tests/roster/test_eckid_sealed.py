"""The ECK iD is sealed at rest (AES-GCM, the login codes' keys and rotation) with a keyed
fingerprint beside it; only the UWLR message and the licence registry's eckid field open it;
the stored rows of before are sealed by the migration; retention deletes it with the pupil."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from bingel_admin import crypto
from integrations import export
from roster.models import Pupil, School, SchoolImportResult, Staff
from roster.retention import purge_inactive
from tests.factories import give_eckid, make_pupil
from tests.lvs_helpers import make_result_link, make_supplier, store
from tests.roster_feed import group, import_feed, pupil, school, staff

MILAN = "https://ketenid.nl/201703/9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ILSE = "https://ketenid.nl/201703/00112233445566778899aabbccddeeff"
SCHOOL = 500_271
BEFORE_SEALING = [("roster", "0007_pupillogincode_code_fingerprint")]


def stored_columns(model, pk) -> str:
    """Every column of the row as the database holds it, as one text."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - our own table name
        return " ".join(str(value) for value in cursor.fetchone())


def feed(milan_eckid: str, ilse_eckid: str):
    milan = pupil(27, "G5", "Milan", "Bakker", eckid=milan_eckid)
    ilse = staff(700_271, ["Leerkracht"], ["G5"], eckid=ilse_eckid)
    return [school(SCHOOL, groups=[group("G5")], pupils=[milan], staff=[ilse])]


@pytest.mark.django_db
def test_the_import_seals_it_and_compares_fingerprints(tmp_path):
    import_feed(tmp_path / "1", feed(MILAN, ILSE))
    milan = Pupil.objects.get(school__basispoort_id=SCHOOL)
    ilse = Staff.objects.get(basispoort_id=700_271)
    for person, eckid in ((milan, MILAN), (ilse, ILSE)):
        row = stored_columns(type(person), person.pk)
        assert eckid not in row and eckid.rsplit("/", 1)[1] not in row
        assert person.eckid_encrypted.startswith("v2.")
        assert crypto.decrypt(person.eckid_encrypted) == eckid
        assert person.eckid_fingerprint == crypto.fingerprint(eckid)

    # The same night again: nothing counts as changed, though sealing is not deterministic.
    run, _ = import_feed(tmp_path / "2", feed(MILAN, ILSE), full=True)
    result = SchoolImportResult.objects.get(run=run, basispoort_id=SCHOOL)
    assert "pupil" not in result.updated and "staff" not in result.updated, result.updated
    milan.refresh_from_db()
    assert crypto.decrypt(milan.eckid_encrypted) == MILAN

    # A new ECK iD from the school administration is sealed anew; one taken away is emptied.
    other = MILAN[:-4] + "ffff"
    run, _ = import_feed(tmp_path / "3", feed(other, ""), full=True)
    milan.refresh_from_db()
    ilse.refresh_from_db()
    assert crypto.decrypt(milan.eckid_encrypted) == other and milan.eckid_fingerprint == crypto.fingerprint(other)
    assert (ilse.eckid_encrypted, ilse.eckid_fingerprint) == ("", "")


@pytest.mark.django_db
def test_the_uwlr_message_carries_it_opened(world):
    emma = Pupil.objects.get(first_name="Emma")
    give_eckid(emma, MILAN)
    link = make_result_link(world.school_a, make_supplier("Momento"))
    store([emma], 2)
    batch = export.next_batch(link)
    assert {resultaat.eckid for resultaat in export.resultaten_of(batch)} == {MILAN}


@pytest.mark.django_db
def test_rotation_reseals_it_under_the_newest_key(world, settings):
    emma = Pupil.objects.get(first_name="Emma")
    give_eckid(emma, MILAN)
    old = Pupil.objects.get(pk=emma.pk).eckid_encrypted
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    settings.FIELD_FINGERPRINT_KEY = "a-new-fingerprint-key-after-a-leak-0123456789"
    call_command("rotate_field_keys", stdout=io.StringIO())
    emma.refresh_from_db()
    assert emma.eckid_encrypted != old and crypto.is_current(emma.eckid_encrypted)
    assert crypto.decrypt(emma.eckid_encrypted) == MILAN
    assert emma.eckid_fingerprint == crypto.fingerprint(MILAN)
    # People without an ECK iD stay without one.
    assert Pupil.objects.exclude(pk=emma.pk).filter(eckid_encrypted="").count() == Pupil.objects.count() - 1


@pytest.mark.django_db
def test_retention_deletes_it_with_the_pupil(world, settings):
    settings.RETENTION_DAYS = 365
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    daan = make_pupil(world.school_a, None, "Daan", "Vertrokken")
    give_eckid(daan, MILAN)
    Pupil.objects.filter(pk=daan.pk).update(active=False, left_at=now - dt.timedelta(days=400))
    assert purge_inactive(now=now).pupils == 1
    fingerprint = crypto.fingerprint(MILAN)
    assert not Pupil.objects.filter(eckid_fingerprint=fingerprint).exists()
    assert not Pupil.objects.filter(pk=daan.pk).exists()


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_rows_stored_before(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_SEALING)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO roster_school (basispoort_id, name, brin, dependancecode, schoolkey, instelling_ref,"
            " bestuurscode, street, house_number, house_number_suffix, postcode, city, active,"
            " sync_permitted) VALUES (990271, 'Oude school', '99XX', '', '', '', '', '', '', '', '', '', true, true)"
            " RETURNING id"
        )
        school_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO roster_pupil (school_id, basispoort_id, eckid, las_key, jaargroep, first_name, infix,"
            " last_name, initials, active) VALUES (%s, 1, %s, '', '', 'Milan', '', 'Bakker', '', true),"
            " (%s, 2, '', '', '', 'Emma', '', 'Visser', '', true)",
            [school_id, MILAN, school_id],
        )
        cursor.execute(
            "INSERT INTO roster_staff (basispoort_id, eckid, first_name, infix, last_name, initials)"
            " VALUES (990272, %s, 'Ilse', '', 'Bakker', '')",
            [ILSE],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    milan = Pupil.objects.get(basispoort_id=1, school__basispoort_id=990271)
    assert crypto.decrypt(milan.eckid_encrypted) == MILAN and milan.eckid_fingerprint == crypto.fingerprint(MILAN)
    emma = Pupil.objects.get(basispoort_id=2, school__basispoort_id=990271)
    assert (emma.eckid_encrypted, emma.eckid_fingerprint) == ("", "")
    ilse = Staff.objects.get(basispoort_id=990272)
    assert crypto.decrypt(ilse.eckid_encrypted) == ILSE
    for table in ("roster_pupil", "roster_staff"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
            assert MILAN not in str(cursor.fetchall()) and ILSE not in str(cursor.fetchall())
    assert School.objects.filter(basispoort_id=990271).exists()
