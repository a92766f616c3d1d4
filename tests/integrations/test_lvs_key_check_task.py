"""Checking an LVS key holds no request: the check is a Celery task queued after the change
commits; meanwhile the link says "Wordt gecontroleerd…" and its status cell polls (htmx) until
the supplier has answered. Without JavaScript, refreshing the links page shows the status."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bingel_admin.celery import app
from integrations import tasks
from integrations.models import LinkStatus, ResultLink
from tests.factories import login_as
from tests.lvs_helpers import LVS_KEY, OTHER_KEY, make_result_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch):

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def links_url(school) -> str:
    return reverse("resultlinks", kwargs={"school_id": school.pk})


# The status cell is asked for by htmx (the links page polls it).
HTMX = {"HX-Request": "true"}


def status_url(link) -> str:
    return reverse("resultlink_status", kwargs={"school_id": link.school_id, "link_id": link.pk})


def test_the_request_only_queues_the_check_and_the_page_polls_until_it_is_done(
    world, client, momento, eager, django_capture_on_commit_callbacks
):
    login_as(client, world.coordinator_a)
    add_url = reverse("resultlink_add", kwargs={"school_id": world.school_a.pk})
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(add_url, {"supplier": momento.pk, "key": LVS_KEY}, follow=True)
    link = ResultLink.objects.get(school=world.school_a)
    # Nothing was asked of the supplier during the request: the check waits for the commit.
    assert len(queued) == 1 and link.status == LinkStatus.CHECKING and link.checked_at is None
    page = response.content.decode()
    assert "Wordt gecontroleerd…" in page and "De sleutel is ter controle naar Momento gestuurd" in page
    assert f'data-hx-get="{status_url(link)}"' in page and 'data-hx-trigger="every 2s"' in page
    cell = client.get(status_url(link), headers=HTMX)
    assert cell["Cache-Control"].startswith("no-store") or "no-store" in cell["Cache-Control"]
    assert "every 2s" in cell.content.decode()

    queued[0]()  # the commit happened: the task runs (eagerly here)

    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE and link.checked_at
    cell = client.get(status_url(link), headers=HTMX).content.decode()
    assert "Actief" in cell and "geaccepteerd" in cell and "data-hx-get" not in cell
    # Without JavaScript: a refresh of the links page shows the outcome.
    refreshed = client.get(links_url(world.school_a)).content.decode()
    assert "Actief" in refreshed and "Wordt gecontroleerd" not in refreshed


def test_a_refused_key_is_reported_by_the_status_cell(
    world, client, momento, eager, django_capture_on_commit_callbacks
):
    login_as(client, world.coordinator_a)
    add_url = reverse("resultlink_add", kwargs={"school_id": world.school_a.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(add_url, {"supplier": momento.pk, "key": OTHER_KEY})
    link = ResultLink.objects.get(school=world.school_a)
    assert link.status == LinkStatus.KEY_REFUSED
    assert "weigert deze autorisatiesleutel" in client.get(status_url(link), headers=HTMX).content.decode()


def test_the_status_cell_is_scoped_by_the_access_helper(world, client, momento):

    foreign = make_result_link(world.school_c, momento)
    login_as(client, world.coordinator_a)
    url = reverse("resultlink_status", kwargs={"school_id": world.school_a.pk, "link_id": foreign.pk})
    assert client.get(url).status_code == 404
    login_as(client, world.teacher_a)
    own = make_result_link(world.school_a, momento)
    assert client.get(status_url(own), headers=HTMX).status_code == 404


def test_a_link_withdrawn_before_the_check_ran_is_left_alone(world, momento):

    link = make_result_link(world.school_a, momento)
    ResultLink.objects.filter(pk=link.pk).update(status=LinkStatus.CHECKING, withdrawn_at="2026-01-01T00:00Z")
    assert tasks.check_key(link.pk) is None
    assert ResultLink.objects.get(pk=link.pk).status == LinkStatus.CHECKING
