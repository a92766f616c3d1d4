"""SimpleSAMLphp (Debian's ``simplesamlphp`` package, the identity provider Kennisnet documents for
Entree) as its own process: ``php -S`` on its www folder with a configuration this module writes,
releasing Entree's attributes by name for four people: a coordinator, a teacher, a pupil and a
person of a school we do not serve. ``make test`` installs the packages where they are missing."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.saml_idp import ACS_PATH, COORDINATOR, PUPIL, SP_ENTITY_ID, TEACHER, UNKNOWN, Person, make_key_pair

SIMPLESAMLPHP = Path("/usr/share/simplesamlphp")
PORT = 17729  # this project's tests use 17700-17799 for fixed ports
PASSWORD = "entree-test-wachtwoord"
PEOPLE = {"sanne": COORDINATOR, "mark": TEACHER, "emma": PUPIL, "onbekend": UNKNOWN}
SLS_PATH = "/accounts/saml/entree/sls/"


def available() -> bool:
    return (SIMPLESAMLPHP / "www" / "index.php").exists() and shutil.which("php") is not None


def _php(value) -> str:
    """A Python value as PHP source (strings, lists, dicts, booleans, numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_php(item) for item in value) + "]"
    return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"


def _attributes(person: Person) -> dict:
    attributes = {
        "uid": [person.uid],
        "givenName": [person.given_name],
        "sn": [person.surname],
        "eduPersonAffiliation": person.affiliation,
        "nlEduPersonHomeOrganizationId": [person.brin],
        "nlEduPersonHomeOrganization": ["School " + person.brin],
    }
    if person.branch:
        attributes["nlEduPersonHomeOrganizationBranchId"] = [person.branch]
    return attributes


def write_config(folder: Path, *, base_url: str, app_url: str, sp_cert_body: str) -> None:
    """config.php, authsources.php, the hosted IdP and our SP as SimpleSAMLphp's remote SP."""
    for name in ("config", "metadata", "cert", "log", "tmp"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    idp = make_key_pair("SimpleSAMLphp Entree test IdP")
    (folder / "cert" / "idp.key").write_bytes(idp.key)
    (folder / "cert" / "idp.crt").write_bytes(idp.cert)
    config = {
        "baseurlpath": base_url + "/",
        "certdir": str(folder / "cert") + "/",
        "loggingdir": str(folder / "log") + "/",
        "datadir": str(folder / "tmp") + "/",
        "tempdir": str(folder / "tmp"),
        "metadatadir": str(folder / "metadata"),
        "secretsalt": secrets.token_hex(16),
        "auth.adminpassword": secrets.token_hex(16),
        "technicalcontact_name": "Test",
        "technicalcontact_email": "test@example.invalid",
        "timezone": "Europe/Amsterdam",
        "logging.level": 6,
        "logging.handler": "file",
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": True,
        "store.type": "phpsession",
        "session.cookie.secure": False,
        "session.cookie.samesite": None,
        "session.phpsession.cookiename": "SimpleSAMLSessionID",
        "module.enable": {"exampleauth": True, "core": True, "saml": True},
        "language.default": "nl",
        "debug": {"saml": False, "backtraces": True, "validatexml": False},
        "showerrors": True,
        "errorreporting": False,
    }
    (folder / "config" / "config.php").write_text("<?php\n$config = " + _php(config) + ";\n")
    users = {f"{login}:{PASSWORD}": _attributes(person) for login, person in PEOPLE.items()}
    sources = {"admin": ["core:AdminPassword"], "entree-users": {0: "exampleauth:UserPass", **users}}
    (folder / "config" / "authsources.php").write_text("<?php\n$config = " + _php(sources) + ";\n")
    hosted = {
        "host": "__DEFAULT__",
        "privatekey": "idp.key",
        "certificate": "idp.crt",
        "auth": "entree-users",
        "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        "saml20.sign.assertion": True,
        "redirect.validate": True,
    }
    (folder / "metadata" / "saml20-idp-hosted.php").write_text(
        "<?php\n$metadata['__DYNAMIC:1__'] = " + _php(hosted) + ";\n"
    )
    sp = {
        "AssertionConsumerService": [
            {"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "Location": app_url + ACS_PATH}
        ],
        "SingleLogoutService": [
            {"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "Location": app_url + SLS_PATH}
        ],
        "certificate": "sp.crt",
        "validate.authnrequest": True,
        "validate.logout": True,
        "sign.logout": True,
        "saml20.sign.assertion": True,
        "saml20.sign.response": False,
        "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    }
    (folder / "cert" / "sp.crt").write_text(
        "-----BEGIN CERTIFICATE-----\n" + sp_cert_body + "\n-----END CERTIFICATE-----\n"
    )
    (folder / "metadata" / "saml20-sp-remote.php").write_text(
        "<?php\n$metadata[" + _php(SP_ENTITY_ID) + "] = " + _php(sp) + ";\n"
    )


@dataclass
class SimpleSamlPhp:
    base_url: str
    folder: Path

    @property
    def entity_id(self) -> str:
        return self.base_url + "/saml2/idp/metadata.php"

    def metadata(self) -> str:
        response = requests.get(self.entity_id, timeout=10)
        response.raise_for_status()
        return response.text

    def log(self) -> str:
        path = self.folder / "log" / "simplesamlphp.log"
        return path.read_text() if path.exists() else ""


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("php -S stopped before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"php -S did not listen on {port}")


@pytest.fixture(scope="session")
def simplesamlphp(tmp_path_factory, entree_keys, live_server) -> SimpleSamlPhp:
    if not available():
        pytest.fail("SimpleSAMLphp is missing: `make test` installs Debian's simplesamlphp and php-cli.")
    folder = tmp_path_factory.mktemp("simplesamlphp")
    base_url = f"http://127.0.0.1:{PORT}"
    write_config(folder, base_url=base_url, app_url=live_server.url, sp_cert_body=entree_keys.sp.cert_body)
    env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(folder / "config")}
    log = (folder / "log" / "php-server.log").open("wb")
    process = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{PORT}", "-t", str(SIMPLESAMLPHP / "www")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(PORT, process)
        yield SimpleSamlPhp(base_url, folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
