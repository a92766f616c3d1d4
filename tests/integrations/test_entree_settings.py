"""Entree is configured from the environment: the federation metadata (URL or file), our SP entity
id, certificate and key (also from ``_FILE``). Production refuses to start half configured, and
our SP metadata is served, signed requests announced, with the next certificate during a rollover."""

from __future__ import annotations

import subprocess

import lxml.etree
import pytest

from tests.saml_idp import SP_ENTITY_ID, make_key_pair
from tests.servers import load_settings
from tests.servers import production_settings as production

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def entree_env(tmp_path) -> dict[str, str]:
    pair = make_key_pair("Bingel beheer SP")
    key_file = tmp_path / "sp.key"
    key_file.write_bytes(pair.key)
    metadata = tmp_path / "entree.xml"
    metadata.write_text("<md:EntitiesDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'/>")
    return {
        "ENTREE_IDP_ENTITY_ID": "https://aselect.entree.kennisnet.nl",
        "ENTREE_IDP_METADATA_FILE": str(metadata),
        "ENTREE_SP_ENTITY_ID": "https://beheer.example.nl/entree",
        "ENTREE_SP_CERTIFICATE": pair.cert.decode(),
        "ENTREE_SP_PRIVATE_KEY_FILE": str(key_file),
    }


def entree_settings(**env: str) -> subprocess.CompletedProcess:
    saml = "settings.SOCIALACCOUNT_PROVIDERS['saml']['APPS'][0]['settings']"
    return load_settings(
        f"settings.ENTREE_ENABLED, {saml}['sp']['entity_id'], 'BEGIN PRIVATE KEY' in {saml}['advanced']['private_key']",
        **env,
    )


def test_production_with_entree_fully_configured_starts_and_reads_the_key_from_a_file(tmp_path):
    result = entree_settings(**production(**entree_env(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "https://beheer.example.nl/entree", "True"]


def test_production_without_entree_starts_with_entree_off():
    result = entree_settings(**production())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


@pytest.mark.parametrize(
    "missing",
    [
        "ENTREE_IDP_ENTITY_ID",
        "ENTREE_IDP_METADATA_FILE",
        "ENTREE_SP_ENTITY_ID",
        "ENTREE_SP_CERTIFICATE",
        "ENTREE_SP_PRIVATE_KEY_FILE",
    ],
)
def test_production_refuses_to_start_half_configured(tmp_path, missing):
    env = entree_env(tmp_path)
    del env[missing]
    result = entree_settings(**production(**env))
    assert result.returncode != 0
    assert "Entree login is half configured" in result.stderr
    assert missing.removesuffix("_FILE").removesuffix("_METADATA") in result.stderr


def test_metadata_url_must_be_https_in_production(tmp_path):
    env = entree_env(tmp_path)
    del env["ENTREE_IDP_METADATA_FILE"]
    env["ENTREE_IDP_METADATA_URL"] = "http://metadata.entree.example/metadata.xml"
    result = entree_settings(**production(**env))
    assert result.returncode != 0 and "ENTREE_IDP_METADATA_URL must be an https:// URL" in result.stderr


def test_sp_metadata_is_served_with_our_certificates_and_signed_requests(client, entree, settings):
    rollover = make_key_pair("Bingel beheer SP 2027")
    apps = settings.SOCIALACCOUNT_PROVIDERS
    apps["saml"]["APPS"][0]["settings"]["advanced"]["x509cert_new"] = rollover.cert_body
    settings.SOCIALACCOUNT_PROVIDERS = apps
    response = client.get("/accounts/saml/entree/metadata/")
    assert response.status_code == 200 and response["Content-Type"] == "application/samlmetadata+xml"
    root = lxml.etree.fromstring(response.content)
    assert root.get("entityID") == SP_ENTITY_ID
    descriptor = root.find(f"{MD}SPSSODescriptor")
    assert descriptor.get("AuthnRequestsSigned") == "true" and descriptor.get("WantAssertionsSigned") == "true"
    acs = descriptor.find(f"{MD}AssertionConsumerService")
    assert acs.get("Location") == "http://testserver/accounts/saml/entree/acs/"
    certificates = "".join(root.itertext())
    assert entree.keys.sp.cert_body in certificates and rollover.cert_body in certificates
    assert "PRIVATE KEY" not in response.content.decode()


def test_entree_endpoints_do_not_exist_while_entree_is_off(client, db):
    assert client.get("/accounts/saml/entree/metadata/").status_code == 404
    assert client.post("/accounts/saml/entree/login/").status_code == 404
    assert "Inloggen via Entree" not in client.get("/inloggen/").content.decode()
