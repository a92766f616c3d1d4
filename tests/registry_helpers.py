"""The reference licence registry for the tests: a real HTTPS server with client certificates."""

from __future__ import annotations

import pytest

from demo.reference_registry import Pki, ReferenceRegistry, make_pki, running
from integrations.registry.client import RegistryClient


@pytest.fixture(scope="session")
def registry_pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("registry-pki"))


@pytest.fixture
def reference_registry(registry_pki):
    """(registry, base URL) of a fresh reference registry."""
    registry = ReferenceRegistry(seed=20)
    with running(registry, registry_pki) as url:
        yield registry, url


@pytest.fixture
def registry_settings(settings, reference_registry, registry_pki):
    """Point the app at the reference registry, as LICENCE_REGISTRY_* do in production."""
    registry, url = reference_registry
    settings.LICENCE_REGISTRY_URL = url
    settings.LICENCE_REGISTRY_CLIENT_CERT = str(registry_pki.client)
    settings.LICENCE_REGISTRY_CLIENT_KEY = ""
    settings.LICENCE_REGISTRY_CA_BUNDLE = str(registry_pki.ca)
    settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS = 0
    return registry


def client_for(url: str, pki: Pki, cert=None) -> RegistryClient:
    return RegistryClient(url, client_cert=str(cert or pki.client), ca_bundle=str(pki.ca), read_timeout=5)
