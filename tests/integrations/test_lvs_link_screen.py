"""The coordinator's "Resultaatkoppelingen": add with consent, check the key right after (a task), change, remove."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from audit.models import AuditEvent
from bingel_admin import crypto
from bingel_admin.celery import app
from integrations.models import LinkStatus, ResultLink
from tests.factories import login_as
from tests.lvs_helpers import LVS_KEY, OTHER_KEY, make_result_link, make_supplier, result_ids, store


@pytest.fixture(autouse=True)
def eager_celery(monkeypatch):
    """The key check is a Celery task queued after commit; here it runs in the test's process."""

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def post_and_check(client, url, data):
    """Post, run what was queued for after the commit (the key check), then follow the redirect."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    return client.get(response.url) if response.status_code == 302 else response


def add(client, school, supplier, key, *, keep_if_refused=False):
    data = {"supplier": supplier.pk, "key": key} | ({"keep_if_refused": "on"} if keep_if_refused else {})
    return post_and_check(client, reverse("resultlink_add", kwargs={"school_id": school.pk}), data)


def status_cell(client, link) -> str:
    url = reverse("resultlink_status", kwargs={"school_id": link.school_id, "link_id": link.pk})
    return client.get(url, headers={"HX-Request": "true"}).content.decode()  # as the polling page asks


def test_adding_a_link_records_consent_encrypts_the_key_and_the_lvs_accepts_it(world, client, momento):
    login_as(client, world.coordinator_a)
    page = add(client, world.school_a, momento, LVS_KEY)
    link = ResultLink.objects.get(school=world.school_a)
    assert link.status == LinkStatus.ACTIVE and link.checked_at
    assert link.consent_by == world.coordinator_a and link.consent_by_name == "Ilse Bakker" and link.consent_at
    assert LVS_KEY not in link.key_encrypted and crypto.decrypt(link.key_encrypted) == LVS_KEY
    assert link.key_last4 == LVS_KEY[-4:]
    html = page.content.decode()
    assert "Actief" in html and "••••" + LVS_KEY[-4:] in html
    assert LVS_KEY not in html
    assert "geaccepteerd" in status_cell(client, link)
    event = AuditEvent.objects.get(action="result_link_added")
    assert event.school == world.school_a and event.actor_label == "Ilse Bakker"
    assert LVS_KEY not in str(event.before) + str(event.after)


def test_a_refused_key_is_not_kept_and_the_page_says_so(world, client, momento):
    """Issue #28: a refused key used to be kept as a link while the message said it was being
    checked. Now the link is not kept, and the page says that and nothing else."""
    login_as(client, world.coordinator_a)
    page = add(client, world.school_a, momento, OTHER_KEY).content.decode()
    link = ResultLink.objects.get(school=world.school_a)
    assert link.status == LinkStatus.KEY_REFUSED and not link.is_current
    assert not ResultLink.objects.current().exists()
    assert "De koppeling is daarom niet bewaard" in page and "Niet bewaard: sleutel geweigerd" in page
    assert "ter controle" not in page and "Wordt gecontroleerd" not in page
    dropped = AuditEvent.objects.get(action="result_link_removed")
    assert dropped.actor_label == "Momento" and dropped.after["reden"] == "sleutel geweigerd, niet bewaard"
    assert "niet bewaard" in status_cell(client, link)  # the cell that was polling says so too
    # Adding it again with the right key is offered and works.
    again = add(client, world.school_a, momento, LVS_KEY).content.decode()
    assert ResultLink.objects.current().get(school=world.school_a).status == LinkStatus.ACTIVE
    assert "Niet bewaard: sleutel geweigerd" not in again


def test_a_refused_key_is_kept_when_the_coordinator_chose_so(world, client, momento):
    login_as(client, world.coordinator_a)
    page = add(client, world.school_a, momento, OTHER_KEY, keep_if_refused=True).content.decode()
    link = ResultLink.objects.current().get(school=world.school_a)
    assert link.status == LinkStatus.KEY_REFUSED and link.keep_if_refused
    assert "Sleutel geweigerd" in page and "weigert deze autorisatiesleutel" in page
    assert "niet bewaard" not in page


def test_an_unreachable_supplier_shows_unreachable_and_keeps_the_link(world, client, fast_retries):
    supplier = make_supplier("ESIS", "http://127.0.0.1:9/uwlr")
    login_as(client, world.coordinator_a)
    page = add(client, world.school_a, supplier, LVS_KEY)
    assert ResultLink.objects.get(school=world.school_a).status == LinkStatus.UNREACHABLE
    assert "Leverancier onbereikbaar" in page.content.decode()


@pytest.mark.parametrize(
    ("key", "message"),
    [("", "Vul de autorisatiesleutel in."), ("met spatie 123", "geen spaties"), ("x" * 65, "hoogstens 64")],
)
def test_bad_keys_get_a_dutch_message_and_nothing_is_saved(world, client, momento, key, message):
    login_as(client, world.coordinator_a)
    page = add(client, world.school_a, momento, key)
    assert page.status_code == 200 and message in page.content.decode()
    assert not ResultLink.objects.exists() and not AuditEvent.objects.exists()


def test_a_second_link_with_the_same_lvs_is_not_offered(world, client, momento):
    login_as(client, world.coordinator_a)
    add(client, world.school_a, momento, LVS_KEY)
    page = add(client, world.school_a, momento, LVS_KEY)
    assert "Kies een leerlingvolgsysteem uit de lijst." in page.content.decode()
    assert ResultLink.objects.filter(school=world.school_a).count() == 1


def test_change_key_re_checks_with_the_supplier_and_is_audited(world, client, momento):
    login_as(client, world.coordinator_a)
    add(client, world.school_a, momento, OTHER_KEY, keep_if_refused=True)
    link = ResultLink.objects.get(school=world.school_a)
    assert link.status == LinkStatus.KEY_REFUSED
    url = reverse("resultlink_change_key", kwargs={"school_id": world.school_a.pk, "link_id": link.pk})
    assert "eindigt op " + OTHER_KEY[-4:] in client.get(url).content.decode()
    post_and_check(client, url, {"key": LVS_KEY})
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE and crypto.decrypt(link.key_encrypted) == LVS_KEY
    event = AuditEvent.objects.get(action="result_link_key_changed")
    assert event.before["sleutel"] == "…" + OTHER_KEY[-4:] and event.after["sleutel"] == "…" + LVS_KEY[-4:]


def test_remove_withdraws_consent(world, client, momento):
    login_as(client, world.coordinator_a)
    add(client, world.school_a, momento, LVS_KEY)
    link = ResultLink.objects.get(school=world.school_a)
    url = reverse("resultlink_remove", kwargs={"school_id": world.school_a.pk, "link_id": link.pk})
    assert client.get(url).status_code == 200
    page = client.post(url, follow=True)
    link.refresh_from_db()
    assert link.withdrawn_at and link.withdrawn_by_name == "Ilse Bakker"
    assert "is verwijderd" in page.content.decode()
    assert AuditEvent.objects.filter(action="result_link_removed").count() == 1
    assert client.get(url).status_code == 404


def test_another_schools_link_is_404_under_your_own_school(world, client, momento):
    foreign = make_result_link(world.school_c, momento)
    login_as(client, world.coordinator_a)
    for name in ("resultlink_change_key", "resultlink_remove"):
        url = reverse(name, kwargs={"school_id": world.school_a.pk, "link_id": foreign.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"key": LVS_KEY}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_current and crypto.decrypt(foreign.key_encrypted) == LVS_KEY
    assert not AuditEvent.objects.exists()


def test_teacher_and_outsider_get_404(world, client, momento):
    for persona in (world.teacher_a, world.coordinator_c):
        login_as(client, persona)
        assert client.get(reverse("resultlinks", kwargs={"school_id": world.school_a.pk})).status_code == 404
        assert add(client, world.school_a, momento, LVS_KEY).status_code == 404
    assert not ResultLink.objects.exists()


def test_links_page_has_bounded_queries(world, client, momento, django_assert_max_num_queries):
    for name in ("ParnasSys", "ESIS", "Dotcom"):
        make_result_link(world.school_a, make_supplier(name))
    login_as(client, world.coordinator_a)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("resultlinks", kwargs={"school_id": world.school_a.pk}))
    assert page.content.decode().count("Sleutel wijzigen") == 3


def test_an_accepted_key_starts_the_first_delivery_at_once(world, client, momento, reference_lvs, monkeypatch):

    store([world.school_a.pupils.get(first_name="Emma")], 3)
    login_as(client, world.coordinator_a)
    add(client, world.school_a, momento, LVS_KEY)
    assert result_ids(reference_lvs[0].stored) == ["r-0", "r-1", "r-2"]
