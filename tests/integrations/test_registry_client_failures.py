"""Our registry client when the connection itself fails: what the caller is told to do."""

from __future__ import annotations

import socket
import time

import pytest

from demo.reference_registry import ReferenceRegistry, make_pki, running
from integrations.registry.client import CertificateRefused, RegistryClient, Transient
from tests.registry_helpers import client_for

SCHOOL = 700_001


def test_a_registry_whose_certificate_our_ca_did_not_sign_is_refused_before_anything_is_asked(registry_pki, tmp_path):
    impostor = ReferenceRegistry()
    with (
        running(impostor, make_pki(tmp_path / "other-ca")) as url,
        pytest.raises(CertificateRefused, match="TLS handshake failed"),
    ):
        client_for(url, registry_pki).list_sets(SCHOOL)
    assert impostor.log == []


def test_a_registry_that_does_not_answer_in_time_is_transient(registry_pki):
    registry = ReferenceRegistry()
    answer = registry.handle

    def slow(*args):
        time.sleep(1.5)
        return answer(*args)

    registry.handle = slow
    with running(registry, registry_pki) as url:
        pki = registry_pki
        client = RegistryClient(url, client_cert=str(pki.client), ca_bundle=str(pki.ca), read_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(Transient, match="GET licenties/700001"):
            client.list_sets(SCHOOL)
        assert time.monotonic() - started < 1.2


def test_a_registry_that_cannot_be_reached_is_transient(registry_pki):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Transient):
        client_for(f"https://127.0.0.1:{port}/rest/v1/", registry_pki).list_sets(SCHOOL)


def test_one_kept_alive_connection_carries_one_request_after_another(reference_registry, registry_pki):
    """A night is thousands of requests: one TLS handshake per connection, not per request."""
    registry, url = reference_registry
    client = client_for(url, registry_pki)
    assert client.delete_set(SCHOOL, "reken-5", 3).versie == 3  # a 404 with a body, read to its end
    for _ in range(20):
        assert client.list_sets(SCHOOL) == {}
    assert client.pool.num_connections == 1
    assert registry.counts() == {"DELETE 404": 1, "GET 200": 20}
