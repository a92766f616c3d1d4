"""SimpleSAMLphp as an Entree stand-in: Debian's ``simplesamlphp`` package served by ``php -S``
with a configuration written here, releasing Entree's attributes by name.

The tests (``tests/simplesamlphp.py``) and ``make demo`` use it. For the demo:
``python -m demo.simplesamlphp --dir var/entree --port 8004 --app http://127.0.0.1:8000`` writes
the identity provider's configuration, its metadata (``idp-metadata.xml``) and our SP key pair
(``sp.key``, ``sp.crt``), and prints the ``ENTREE_*`` settings that point the app at it; ``php -S
127.0.0.1:8004 -t /usr/share/simplesamlphp/www`` with ``SIMPLESAMLPHP_CONFIG_DIR=var/entree/config``
then serves it. Log in there as ``sanne``, ``mark``, ``emma`` or ``onbekend``, password ``demo``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SIMPLESAMLPHP = Path("/usr/share/simplesamlphp")
ACS_PATH = "/accounts/saml/entree/acs/"
SLS_PATH = "/accounts/saml/entree/sls/"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


@dataclass(frozen=True)
class EntreePerson:
    """What Entree releases about a person, by attribute name."""

    uid: str
    given_name: str
    surname: str
    affiliation: tuple[str, ...]
    brin: str
    branch: str = ""

    def attributes(self) -> dict[str, list[str]]:
        attributes = {
            "uid": [self.uid],
            "givenName": [self.given_name],
            "sn": [self.surname],
            "eduPersonAffiliation": list(self.affiliation),
            "nlEduPersonHomeOrganizationId": [self.brin],
            "nlEduPersonHomeOrganization": ["School " + self.brin],
        }
        if self.branch:
            attributes["nlEduPersonHomeOrganizationBranchId"] = [self.branch]
        return attributes


# The demo world's people as Entree knows them (demo/world.py: De Regenboog 12AB00, Het Kompas
# 12AB01), a pupil, and a person of a school we do not serve.
DEMO_PEOPLE = {
    "sanne": EntreePerson("entree-uid-sanne", "Sanne", "de Vries", ("employee", "staff"), "12AB", "12AB01"),
    "mark": EntreePerson("entree-uid-mark", "Mark", "Jansen", ("employee",), "12AB", "12AB00"),
    "emma": EntreePerson("entree-uid-emma", "Emma", "Visser", ("student",), "12AB", "12AB00"),
    "onbekend": EntreePerson("entree-uid-onbekend", "Onbekend", "Persoon", ("employee",), "99ZZ", "99ZZ00"),
}


def available() -> bool:
    return (SIMPLESAMLPHP / "www" / "index.php").exists() and shutil.which("php") is not None


def key_pair(common_name: str) -> tuple[bytes, bytes]:
    """A fresh RSA key (PEM) and a self-signed certificate (PEM) for it, valid for a year."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def cert_body(pem: bytes) -> str:
    return "".join(line for line in pem.decode().splitlines() if "-----" not in line)


def php(value) -> str:
    """A Python value as PHP source (None, booleans, numbers, strings, lists, dicts)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(php(item) for item in value) + "]"
    return "[" + ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items()) + "]"


def entity_id(base_url: str) -> str:
    return base_url + "/saml2/idp/metadata.php"


def write_config(
    folder: Path,
    *,
    base_url: str,
    app_url: str,
    sp_entity_id: str,
    sp_cert_pem: bytes,
    people: dict[str, EntreePerson],
    password: str,
) -> bytes:
    """config.php, authsources.php, the hosted IdP and our SP as its remote SP; the IdP's cert."""
    for name in ("config", "metadata", "cert", "log", "tmp"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    idp_key, idp_cert = key_pair("SimpleSAMLphp Entree stand-in")
    (folder / "cert" / "idp.key").write_bytes(idp_key)
    (folder / "cert" / "idp.crt").write_bytes(idp_cert)
    (folder / "cert" / "sp.crt").write_bytes(sp_cert_pem)
    config = {
        "baseurlpath": base_url + "/",
        "certdir": str(folder / "cert") + "/",
        "loggingdir": str(folder / "log") + "/",
        "datadir": str(folder / "tmp") + "/",
        "tempdir": str(folder / "tmp"),
        "metadatadir": str(folder / "metadata"),
        "secretsalt": secrets.token_hex(16),
        "auth.adminpassword": secrets.token_hex(16),
        "technicalcontact_name": "Demo",
        "technicalcontact_email": "demo@example.invalid",
        "timezone": "Europe/Amsterdam",
        "logging.level": 6,
        "logging.handler": "file",
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": True,
        # Logout may return to the app (ReturnTo), which listens on a port of this machine.
        "trusted.url.regex": True,
        "trusted.url.domains": [r"127\.0\.0\.1:\d+", r"localhost:\d+"],
        "store.type": "phpsession",
        "session.cookie.secure": False,
        "session.cookie.samesite": None,
        "session.phpsession.cookiename": "SimpleSAMLSessionID",
        "module.enable": {"exampleauth": True, "core": True, "saml": True},
        "language.default": "nl",
        "showerrors": True,
        "errorreporting": False,
    }
    (folder / "config" / "config.php").write_text("<?php\n$config = " + php(config) + ";\n")
    users = {f"{login}:{password}": person.attributes() for login, person in people.items()}
    sources = {"admin": ["core:AdminPassword"], "entree-users": {0: "exampleauth:UserPass", **users}}
    (folder / "config" / "authsources.php").write_text("<?php\n$config = " + php(sources) + ";\n")
    hosted = {
        "host": "__DEFAULT__",
        "privatekey": "idp.key",
        "certificate": "idp.crt",
        "auth": "entree-users",
        "signature.algorithm": RSA_SHA256,
        "attributes.NameFormat": BASIC,
        "NameIDFormat": TRANSIENT,
        "saml20.sign.assertion": True,
        "redirect.validate": True,
    }
    (folder / "metadata" / "saml20-idp-hosted.php").write_text(
        "<?php\n$metadata['__DYNAMIC:1__'] = " + php(hosted) + ";\n"
    )
    sp = {
        "AssertionConsumerService": [{"Binding": POST, "Location": app_url + ACS_PATH}],
        "SingleLogoutService": [{"Binding": REDIRECT, "Location": app_url + SLS_PATH}],
        "certificate": "sp.crt",
        "validate.authnrequest": True,
        "validate.logout": True,
        "sign.logout": True,
        "saml20.sign.assertion": True,
        "saml20.sign.response": False,
        "attributes.NameFormat": BASIC,
        "NameIDFormat": TRANSIENT,
    }
    (folder / "metadata" / "saml20-sp-remote.php").write_text(
        "<?php\n$metadata[" + php(sp_entity_id) + "] = " + php(sp) + ";\n"
    )
    return idp_cert


def idp_metadata(base_url: str, idp_cert_pem: bytes) -> str:
    """The metadata SimpleSAMLphp publishes at its entity id, written without asking it."""
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id(base_url)}">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
   <ds:X509Certificate>{cert_body(idp_cert_pem)}</ds:X509Certificate>
  </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleLogoutService Binding="{REDIRECT}" Location="{base_url}/saml2/idp/SingleLogoutService.php"/>
  <md:NameIDFormat>{TRANSIENT}</md:NameIDFormat>
  <md:SingleSignOnService Binding="{REDIRECT}" Location="{base_url}/saml2/idp/SSOService.php"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8004)
    parser.add_argument("--app", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="demo")
    args = parser.parse_args()
    folder = args.dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    base_url = f"http://127.0.0.1:{args.port}"
    sp_key, sp_cert = key_pair("Bingel beheer demo SP")
    (folder / "sp.key").write_bytes(sp_key)
    (folder / "sp.crt").write_bytes(sp_cert)
    sp_entity_id = args.app + "/accounts/saml/entree/metadata/"
    idp_cert = write_config(
        folder,
        base_url=base_url,
        app_url=args.app,
        sp_entity_id=sp_entity_id,
        sp_cert_pem=sp_cert,
        people=DEMO_PEOPLE,
        password=args.password,
    )
    (folder / "idp-metadata.xml").write_text(idp_metadata(base_url, idp_cert))
    print(
        f"ENTREE_IDP_ENTITY_ID={entity_id(base_url)} ENTREE_IDP_METADATA_FILE={folder / 'idp-metadata.xml'} "
        f"ENTREE_SP_ENTITY_ID={sp_entity_id} ENTREE_SP_CERTIFICATE_FILE={folder / 'sp.crt'} "
        f"ENTREE_SP_PRIVATE_KEY_FILE={folder / 'sp.key'}"
    )


if __name__ == "__main__":
    main()
