"""The authorisation key never appears in a response body, a log record or an exception text."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse
from django.views.debug import ExceptionReporter

from bingel_admin import crypto
from demo.reference_lvs import KEY_FAULT, PLAIN_500, ReferenceLvs, running
from integrations import export, tasks
from integrations.models import LinkStatus, ResultLink
from roster.models import Pupil
from tests.factories import login_as
from tests.lvs_helpers import LVS_KEY, OTHER_KEY, make_supplier, store

KEYS = (LVS_KEY, OTHER_KEY)


def assert_no_key(text: str) -> None:
    for key in KEYS:
        assert key not in text


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def checks_in_process(monkeypatch):
    """The key check is a Celery task queued after commit; here the queued check runs in this
    process (what a worker would do), while the delivery it starts stays queued as before."""
    # The action queues it by name (integrations.actions.CHECK_KEY_TASK), which ends in apply_async.
    monkeypatch.setattr(tasks.check_key, "apply_async", lambda args=(), kwargs=None, **options: tasks.check_key(*args))


def post_and_check(client, url, data, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, **kwargs)


def all_log_text(caplog) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)


def test_the_whole_life_of_a_link_never_shows_or_logs_the_key(
    world, client, logs, fast_retries, tmp_path, checks_in_process
):
    emma = Pupil.objects.get(first_name="Emma")
    lvs = ReferenceLvs({LVS_KEY}, script=["ok", KEY_FAULT, PLAIN_500, PLAIN_500, PLAIN_500, PLAIN_500])
    with running(lvs) as url:
        momento = make_supplier("Momento", url)
        login_as(client, world.coordinator_a)
        bodies = []
        add_url = reverse("resultlink_add", kwargs={"school_id": world.school_a.pk})
        bodies.append(client.get(add_url))
        # An invalid key is not rendered back into the form.
        bodies.append(client.post(add_url, {"supplier": momento.pk, "key": "Mm-ref 9f3c1b7a2d4e-Q8"}))
        assert "Mm-ref" not in bodies[-1].content.decode()
        # Kept although refused (the coordinator's choice), so its key can be changed next.
        refused = {"supplier": momento.pk, "key": OTHER_KEY, "keep_if_refused": "on"}
        bodies.append(post_and_check(client, add_url, refused, follow=True))
        link = ResultLink.objects.get()
        change_url = reverse("resultlink_change_key", kwargs={"school_id": world.school_a.pk, "link_id": link.pk})
        bodies.append(client.get(change_url))
        bodies.append(post_and_check(client, change_url, {"key": LVS_KEY}, follow=True))
        status_url = reverse("resultlink_status", kwargs={"school_id": world.school_a.pk, "link_id": link.pk})
        bodies.append(client.get(status_url, headers={"HX-Request": "true"}))
        bodies.append(client.get(reverse("beheer_home", kwargs={"school_id": world.school_a.pk})))
        store([emma], 3)
        export.deliver_link(link.pk)  # key fault → key refused
        link.refresh_from_db()
        link.status = "actief"
        link.save()
        export.deliver_link(link.pk)  # 500s → back-off
        out = tmp_path / "envelope.xml"
        call_command("export_results", "--school", "12AB00", "--dry-run", "--out", str(out))
        call_command("rotate_field_keys")

    for response in bodies:
        assert_no_key(response.content.decode())
    assert_no_key(all_log_text(logs))
    assert_no_key(out.read_text())
    link.refresh_from_db()
    assert_no_key(str(link.__dict__))
    assert crypto.decrypt(link.key_encrypted) == LVS_KEY


def test_a_crash_while_talking_to_the_lvs_leaks_no_key_in_the_page_or_the_error_report(
    world, momento, settings, monkeypatch, checks_in_process, logs
):
    """With DEBUG off (production): the page answers without talking to the LVS, and when the key
    check crashes (here run in process, after the commit), the logged error's report with every
    frame's variables holds no key; the committed link stays "wordt gecontroleerd…" for the export
    job to check again. (DEBUG=True shows all variables by design; never in production.)"""
    settings.DEBUG = False

    def explode(*args, **kwargs):
        raise RuntimeError("the adapter broke")

    # Deep inside requests, where every frame holds the envelope with the key.
    monkeypatch.setattr("requests.adapters.HTTPAdapter.send", explode)
    client = Client(raise_request_exception=False)
    login_as(client, world.coordinator_a)
    url = reverse("resultlink_add", kwargs={"school_id": world.school_a.pk})
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"supplier": momento.pk, "key": LVS_KEY})
    assert response.status_code == 302  # the request itself never talked to the LVS
    assert_no_key(response.content.decode())
    assert ResultLink.objects.get(school=world.school_a).status == LinkStatus.CHECKING
    (crashed,) = [r for r in logs.records if r.exc_info and "key check" in r.getMessage()]
    report = ExceptionReporter(None, *crashed.exc_info).get_traceback_html()
    assert "unexpected RuntimeError while posting to the LVS" in report
    assert "envelope" in report  # the frames and their variable names are there, their values are not
    assert_no_key(report)
    assert_no_key(all_log_text(logs))


def test_a_key_that_cannot_be_decrypted_says_so_without_the_secret(settings):
    token = crypto.encrypt(LVS_KEY)
    settings.FIELD_ENCRYPTION_KEYS = ["q2uvbRmY2d3BdqRrv1d2i2Jm0xIe5D8yq5MmvLkk4Gg="]
    with pytest.raises(crypto.DecryptionError) as failure:
        crypto.decrypt(token)
    assert_no_key(str(failure.value) + repr(failure.value) + str(failure.value.__cause__))
