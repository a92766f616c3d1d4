"""The Logboek: the school's own changes, newest first, paginated, filterable by licence."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from licenses import actions
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def test_shows_who_what_when_for_this_school_only(world, licences, client):
    actions.link_groups(
        school=world.school_a, licence_id=licences.group_licence.pk, group_ids=[licences.group_4a.pk], actor=None
    )
    AuditEvent.objects.create(
        action=AuditAction.LINK_GROUP, subject="Elders", school=world.school_c, actor_label="Iemand anders"
    )
    login_as(client, world.coordinator_a)
    page = client.get(reverse("audit_log", args=[world.school_a.pk])).content.decode()
    assert "Groep 4a" in page and "Basispoort-import" in page and "Groep gekoppeld" in page
    assert "Elders" not in page


def test_paginated_and_filtered_by_licence(world, licences, client, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                action=AuditAction.ASSIGN_SEAT,
                subject=f"Regel {i}",
                school=world.school_a,
                licence=licences.pupil_licence,
                actor_label="Ilse",
            )
            for i in range(60)
        ]
        + [
            AuditEvent(
                action=AuditAction.LINK_GROUP,
                subject="Groepregel",
                school=world.school_a,
                licence=licences.group_licence,
                actor_label="Ilse",
            )
        ]
    )
    login_as(client, world.coordinator_a)
    url = reverse("audit_log", args=[world.school_a.pk])
    with django_assert_max_num_queries(12):
        first = client.get(url).content.decode()
    assert "Pagina 1 van 3" in first
    filtered = client.get(url, {"licentie": licences.group_licence.pk}).content.decode()
    assert "Groepregel" in filtered and "Regel 5" not in filtered
    assert client.get(url, {"licentie": "kapot", "pagina": "999"}).status_code == 200
