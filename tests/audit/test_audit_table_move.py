"""The audit log moved from ``licenses`` to ``audit`` by state only: the table and its rows stay."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEvent
from roster.models import School

BEFORE = [("licenses", "0004_group_year_levels"), ("audit", None)]
AFTER = [("licenses", "0005_auditevent_moves_to_audit"), ("audit", "0001_initial")]


@pytest.fixture
def back_to_latest():
    """Leave the database at the latest migrations for the tests after this one, whatever
    migrations came after the move."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_row_written_before_the_move_is_read_after_it(back_to_latest):
    school = School.objects.create(basispoort_id=990_001, brin="99XX", name="Oude school")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_state = MigrationExecutor(connection).loader.project_state([BEFORE[0]])
    assert ("licenses", "auditevent") in old_state.models and ("audit", "auditevent") not in old_state.models
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO licenses_auditevent (created_at, actor_label, action, subject, school_id)"
            " VALUES (now(), 'Sanne de Vries', 'link_group', 'Groep 5 – Reken', %s)",
            [school.pk],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    event = AuditEvent.objects.get()
    assert (event.actor_label, event.subject, event.school_id) == ("Sanne de Vries", "Groep 5 – Reken", school.pk)
    assert AuditEvent._meta.db_table == "licenses_auditevent"
