"""The HTTPS source against a real local TLS server that requires the publisher's client certificate."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections import Counter

import orjson
import pytest
import trustme
from django.utils import timezone

from roster.feed import SourceError
from roster.feed.sources import HttpsSource
from roster.importer import sync_roster
from roster.models import Pupil, School, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, pupil, school, staff

pytestmark = pytest.mark.django_db
A, B = 500_901, 500_902
SLOW = 0  # answer 200, but only after the client's read timeout


class FakeBasispoort:
    """Answers `rest/v2/…` from a table; a path may first answer with errors, then with its document."""

    def __init__(self):
        self.answers: dict[str, list[tuple[int, bytes]]] = {}
        self.hits: Counter = Counter()

    def serve(self, path: str, *answers: tuple[int, object]) -> None:
        self.answers[path] = [(status, orjson.dumps(body)) for status, body in answers]

    def publish(self, *docs) -> None:
        self.serve("instellingen", (200, [d.basispoort_id for d in docs]))
        for d in docs:
            self.serve(f"instellingen/{d.basispoort_id}", (200, d.roster))
            self.serve(f"instellingen/{d.basispoort_id}/details", (200, d.details))

    def answer(self, path: str) -> tuple[int, bytes]:
        self.hits[path] += 1
        queue = self.answers.get(path)
        if not queue and path.startswith("instellingen/synchronizationpermission/"):
            return 200, b"[]"  # no school changed its permission, unless a test says so
        if not queue:
            return 404, b'{"message": "not found"}'
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def pki(tmp_path):
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("uitgeverij.example.nl")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "client.pem"))
    return ca, server, tmp_path


@pytest.fixture
def basispoort(pki):
    ca, server_cert, _ = pki
    fake = FakeBasispoort()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = fake.answer(self.path.removeprefix("/rest/v2/"))
            if status == SLOW:
                time.sleep(1.0)
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"https://127.0.0.1:{httpd.server_address[1]}/rest/v2/"
    yield fake
    httpd.shutdown()
    httpd.server_close()


def source(basispoort, pki, *, with_certificate: bool = True, read_timeout: float = 5) -> HttpsSource:
    folder = pki[2]
    return HttpsSource(
        basispoort.url,
        client_cert=str(folder / "client.pem") if with_certificate else "",
        client_key="",
        ca_bundle=str(folder / "ca.pem"),
        connect_timeout=2,
        read_timeout=read_timeout,
        retries=2,
        backoff=0.01,
    )


def doc(bp_id: int, pid: int):
    return school(
        bp_id, groups=[group("G5")], staff=[staff(bp_id + 1000, ["Leerkracht"], ["G5"])], pupils=[pupil(pid, "G5")]
    )


def test_without_a_client_certificate_the_server_refuses(basispoort, pki):
    basispoort.publish(doc(A, 1))
    with pytest.raises(SourceError):
        source(basispoort, pki, with_certificate=False).school_ids()
    assert Pupil.objects.count() == 0


def test_with_the_certificate_the_schools_are_imported(basispoort, pki):
    basispoort.publish(doc(A, 1), doc(B, 2))
    run, summary = sync_roster(source(basispoort, pki), trigger="test")
    assert summary.counts == {SchoolResultStatus.IMPORTED: 2}
    assert sorted(Pupil.objects.values_list("basispoort_id", flat=True)) == [1, 2]
    assert run.source == basispoort.url


def test_a_server_error_is_retried_and_the_school_imported(basispoort, pki):
    a = doc(A, 1)
    basispoort.publish(a)
    basispoort.serve(f"instellingen/{A}", (500, {"message": "busy"}), (200, a.roster))
    _, summary = sync_roster(source(basispoort, pki), trigger="test")
    assert summary.counts == {SchoolResultStatus.IMPORTED: 1}
    assert basispoort.hits[f"instellingen/{A}"] == 2


def test_a_404_for_one_school_fails_that_school_only_and_is_not_retried(basispoort, pki):
    basispoort.publish(doc(A, 1), doc(B, 2))
    del basispoort.answers[f"instellingen/{A}"]
    run, _ = sync_roster(source(basispoort, pki), trigger="test")
    failed = SchoolImportResult.objects.get(run=run, basispoort_id=A)
    assert (failed.status, "HTTP 404" in failed.error) == (SchoolResultStatus.FAILED, True)
    assert basispoort.hits[f"instellingen/{A}"] == 1
    assert list(Pupil.objects.values_list("basispoort_id", flat=True)) == [2]


def test_a_server_that_keeps_failing_gives_up_after_the_retries(basispoort, pki):
    basispoort.publish(doc(A, 1))
    basispoort.serve(f"instellingen/{A}", (503, {"message": "down"}))
    run, _ = sync_roster(source(basispoort, pki), trigger="test")
    assert SchoolImportResult.objects.get(run=run).status == SchoolResultStatus.FAILED
    assert basispoort.hits[f"instellingen/{A}"] == 3


def test_a_read_timeout_is_retried(basispoort, pki):
    a = doc(A, 1)
    basispoort.publish(a)
    basispoort.serve(f"instellingen/{A}/details", (SLOW, a.details), (200, a.details))
    _, summary = sync_roster(source(basispoort, pki, read_timeout=0.5), trigger="test")
    assert summary.counts == {SchoolResultStatus.IMPORTED: 1}
    assert basispoort.hits[f"instellingen/{A}/details"] == 2


def test_the_withdrawn_list_is_asked_with_the_date_of_the_last_run(basispoort, pki):

    basispoort.publish(doc(A, 1), doc(B, 2))
    sync_roster(source(basispoort, pki), trigger="test")
    since = timezone.localdate().isoformat()
    basispoort.serve(f"instellingen/synchronizationpermission/ingetrokken/{since}", (200, [B]))
    sync_roster(source(basispoort, pki), trigger="test")
    assert basispoort.hits[f"instellingen/synchronizationpermission/ingetrokken/{since}"] == 1
    assert basispoort.hits[f"instellingen/synchronizationpermission/toegekend/{since}"] == 1
    assert not School.objects.get(basispoort_id=B).sync_permitted
    assert School.objects.get(basispoort_id=A).sync_permitted
