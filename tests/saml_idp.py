"""A SAML 2.0 identity provider in the tests' own hands: keys, metadata and signed responses.

Responses are built as XML text and signed with python-xmlsec (the same C library SimpleSAMLphp's
peers use, not our client), so a test can make exactly the hostile answer it needs: unsigned,
signed with another key, signed with SHA-1, meant for another audience, expired, answering another
request, or with a second, unsigned assertion beside the signed one.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import secrets
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import lxml.etree
import pytest
import xmlsec

from demo.simplesamlphp import DEMO_PEOPLE, key_pair
from demo.simplesamlphp import EntreePerson as Person

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
IDP_ENTITY_ID = "https://entree.test/idp"
SP_ENTITY_ID = "https://bingel-beheer.test/entree"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"


@dataclass(frozen=True)
class KeyPair:
    key: bytes  # PEM private key
    cert: bytes  # PEM certificate

    @property
    def cert_body(self) -> str:
        """The certificate's base64 without the PEM armour, as metadata and settings carry it."""
        return "".join(line for line in self.cert.decode().splitlines() if "-----" not in line)


def make_key_pair(common_name: str) -> KeyPair:
    return KeyPair(*key_pair(common_name))


@dataclass(frozen=True)
class EntreeKeys:
    idp: KeyPair  # the identity provider's signing key, published in its metadata
    sp: KeyPair  # ours: signs AuthnRequests
    stranger: KeyPair  # a key nobody published

    @property
    def idp_key(self) -> bytes:
        return self.idp.key

    @property
    def idp_cert(self) -> bytes:
        return self.idp.cert


def idp_metadata(keys: EntreeKeys, sso_url: str, slo_url: str = "", entity_id: str = IDP_ENTITY_ID) -> str:
    """Federation metadata with one identity provider, as Entree publishes it (and a neighbour)."""
    slo = f'<md:SingleLogoutService Binding="{REDIRECT}" Location="{slo_url}"/>' if slo_url else ""
    return f"""<?xml version="1.0"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
 <md:EntityDescriptor entityID="https://other.test/idp">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
   <md:SingleSignOnService Binding="{REDIRECT}" Location="https://other.test/sso"/>
  </md:IDPSSODescriptor>
 </md:EntityDescriptor>
 <md:EntityDescriptor entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
   <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
    <ds:X509Certificate>{keys.idp.cert_body}</ds:X509Certificate>
   </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
   {slo}
   <md:SingleSignOnService Binding="{REDIRECT}" Location="{sso_url}"/>
  </md:IDPSSODescriptor>
 </md:EntityDescriptor>
</md:EntitiesDescriptor>
"""


def authn_request_of(location: str) -> tuple[str, dict[str, str], lxml.etree._Element]:
    """The AuthnRequest in an HTTP-Redirect URL: its ID, the query, and the parsed XML."""
    query = {name: values[0] for name, values in parse_qs(urlparse(location).query).items()}
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15)
    root = lxml.etree.fromstring(xml)
    return root.get("ID"), query, root


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _attribute(name: str, values: list[str]) -> str:
    body = "".join(f'<saml:AttributeValue xsi:type="xs:string">{value}</saml:AttributeValue>' for value in values)
    name_format = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
    return f'<saml:Attribute Name="{name}" NameFormat="{name_format}">{body}</saml:Attribute>'


def assertion_xml(
    person: Person,
    *,
    in_response_to: str,
    acs_url: str,
    audience: str = SP_ENTITY_ID,
    issuer: str = IDP_ENTITY_ID,
    assertion_id: str | None = None,
    now: dt.datetime | None = None,
    lifetime: dt.timedelta = dt.timedelta(minutes=5),
    recipient: str | None = None,
) -> str:
    """An assertion about ``person``; ``audience=""`` leaves the AudienceRestriction out."""
    now = now or dt.datetime.now(dt.UTC)
    until = _instant(now + lifetime)
    recipient_url = acs_url if recipient is None else recipient
    restriction = (
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
        if audience
        else ""
    )
    attributes = [
        _attribute("uid", [person.uid]),
        _attribute("givenName", [person.given_name]),
        _attribute("sn", [person.surname]),
        _attribute("eduPersonAffiliation", list(person.affiliation)),
        _attribute("nlEduPersonHomeOrganizationId", [person.brin]),
        _attribute("nlEduPersonHomeOrganization", ["School " + person.brin]),
    ]
    if person.branch:
        attributes.append(_attribute("nlEduPersonHomeOrganizationBranchId", [person.branch]))
    aid = assertion_id or "_a" + secrets.token_hex(16)
    return (
        f'<saml:Assertion xmlns:saml="{SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{aid}" Version="2.0" '
        f'IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>"
        "<saml:Subject>"
        f'<saml:NameID Format="{TRANSIENT}" SPNameQualifier="{audience}">_n{secrets.token_hex(12)}</saml:NameID>'
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{recipient_url}" '
        f'InResponseTo="{in_response_to}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(now - dt.timedelta(seconds=30))}" NotOnOrAfter="{until}">'
        f"{restriction}</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" '
        f'SessionNotOnOrAfter="{_instant(now + dt.timedelta(hours=8))}" SessionIndex="_s{secrets.token_hex(12)}">'
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{''.join(attributes)}</saml:AttributeStatement>"
        "</saml:Assertion>"
    )


def sign(element: lxml.etree._Element, pair: KeyPair, algorithm: str = "sha256") -> None:
    """An enveloped XML signature over ``element`` (by its ID), placed after its Issuer."""
    transform, digest = {
        "sha256": (xmlsec.Transform.RSA_SHA256, xmlsec.Transform.SHA256),
        "sha1": (xmlsec.Transform.RSA_SHA1, xmlsec.Transform.SHA1),
    }[algorithm]
    template = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, transform, ns="ds")
    element.insert(1, template)
    reference = xmlsec.template.add_reference(template, digest, uri="#" + element.get("ID"))
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    key_info = xmlsec.template.ensure_key_info(template)
    xmlsec.template.add_x509_data(key_info)
    xmlsec.tree.add_ids(element, ["ID"])
    context = xmlsec.SignatureContext()
    key = xmlsec.Key.from_memory(pair.key, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(pair.cert, xmlsec.KeyFormat.CERT_PEM)
    context.key = key
    context.sign(template)


def response_xml(
    assertion: str,
    *,
    in_response_to: str,
    destination: str,
    signer: KeyPair | None,
    algorithm: str = "sha256",
    extra_assertion: str = "",
    issuer: str = IDP_ENTITY_ID,
) -> bytes:
    """A samlp:Response around ``assertion``, the assertion signed by ``signer`` (None: unsigned);
    ``extra_assertion`` is placed, unsigned, before the signed one (signature wrapping)."""
    now = _instant(dt.datetime.now(dt.UTC))
    response = lxml.etree.fromstring(
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r{secrets.token_hex(16)}" Version="2.0" '
        f'IssueInstant="{now}" Destination="{destination}" InResponseTo="{in_response_to}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        "</samlp:Response>"
    )
    signed = lxml.etree.fromstring(assertion)
    response.append(signed)
    if signer is not None:
        sign(signed, signer, algorithm)
    if extra_assertion:
        signed.addprevious(lxml.etree.fromstring(extra_assertion))
    return lxml.etree.tostring(response)


def posted(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


# --- Fixtures ------------------------------------------------------------------------------------

SSO_URL = "https://entree.test/sso"
SLO_URL = "https://entree.test/slo"
ACS_PATH = "/accounts/saml/entree/acs/"
LOGIN_PATH = "/accounts/saml/entree/login/"

# Entree personas: the coordinator of De Regenboog and Het Kompas (BRIN 12AB, vestigingen 00 and 01),
# the teacher of De Regenboog, a pupil of De Regenboog, and a person of a school we do not serve.
COORDINATOR = DEMO_PEOPLE["sanne"]
TEACHER = DEMO_PEOPLE["mark"]
PUPIL = DEMO_PEOPLE["emma"]
UNKNOWN = DEMO_PEOPLE["onbekend"]


@pytest.fixture(scope="session")
def entree_keys() -> EntreeKeys:
    return EntreeKeys(make_key_pair("Entree test IdP"), make_key_pair("Bingel beheer SP"), make_key_pair("Stranger"))


def use_entree(settings, keys: EntreeKeys, metadata_file, idp_entity_id: str = IDP_ENTITY_ID) -> None:
    """Point the app at this identity provider, as the ENTREE_* settings do in production."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    app = providers["saml"]["APPS"][0]["settings"]
    app["idp"].update(entity_id=idp_entity_id, metadata_file=str(metadata_file), metadata_url="")
    app["sp"]["entity_id"] = SP_ENTITY_ID
    app["advanced"].update(x509cert=keys.sp.cert_body, private_key=keys.sp.key.decode(), x509cert_new="")
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.ENTREE_IDP_ENTITY_ID = idp_entity_id
    settings.ENTREE_ENABLED = True


@dataclass
class EntreeIdp:
    keys: EntreeKeys
    base: str = "http://testserver"

    @property
    def acs_url(self) -> str:
        return self.base + ACS_PATH

    def respond(self, person: Person, request_id: str, *, signer: KeyPair | str | None = "idp", **kwargs) -> bytes:
        """A well-formed, correctly signed response unless the keyword arguments say otherwise
        (``signer=None``: the assertion is not signed)."""
        assertion_args = {
            k: kwargs.pop(k) for k in ("audience", "assertion_id", "now", "lifetime", "recipient") if k in kwargs
        }
        assertion = assertion_xml(person, in_response_to=request_id, acs_url=self.acs_url, **assertion_args)
        return response_xml(
            assertion,
            in_response_to=request_id,
            destination=kwargs.pop("destination", self.acs_url),
            signer=self.keys.idp if signer == "idp" else signer,
            **kwargs,
        )


@pytest.fixture
def entree(settings, entree_keys, tmp_path) -> EntreeIdp:
    metadata = tmp_path / "entree-metadata.xml"
    metadata.write_text(idp_metadata(entree_keys, SSO_URL, SLO_URL))
    use_entree(settings, entree_keys, metadata)
    return EntreeIdp(entree_keys)
