"""Audit migration 0004: the rows of seats Nieuw schooljaar linked before it named the pupil by the
pupils table's row id, which retention does not look for. The migration names a pupil who is still
there by Basispoort id, and leaves a stand-in instead of the name of a pupil already removed."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent
from tests.factories import make_pupil, make_school

BEFORE = [("audit", "0003_entree_link_actions")]
AFTER = [("audit", "0004_proposal_declined")]


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def insert_seat_row(school_id: int, pupil_row_id: int, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO licenses_auditevent (created_at, actor_label, action, subject, school_id, after)"
            " VALUES (now(), 'Sanne de Vries', 'assign_seat', %s, %s, %s)",
            [
                f"{name} – Taal actief 2027-2028 (nieuw schooljaar)",
                school_id,
                json.dumps({"pupil_id": pupil_row_id, "pupil_name": name, "reason": "nieuw schooljaar"}),
            ],
        )


@pytest.mark.django_db(transaction=True)
def test_old_new_year_seat_rows_name_the_pupil_by_basispoort_id(back_to_latest):
    school = make_school()
    daan = make_pupil(school, first_name="Daan", last_name="Bos")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    insert_seat_row(school.pk, daan.pk, "Bos, Daan")
    insert_seat_row(school.pk, daan.pk + 10_000, "Smit, Lotte")  # a pupil removed since

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    kept, removed = AuditEvent.objects.order_by("pk")
    assert kept.after == {"pupil": daan.basispoort_id, "pupil_name": "Bos, Daan", "reason": "nieuw schooljaar"}
    assert kept.subject.startswith("Bos, Daan")
    assert removed.after == {"pupil": "leerling-verwijderd", "reason": "nieuw schooljaar"}
    assert "Smit" not in removed.subject and removed.subject.startswith("leerling-verwijderd – Taal actief")
