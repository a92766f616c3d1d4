"""lxml and xmlsec (python3-saml's XML signatures) run on the same libxml2.

Both wheels bundle their own libxml2; when the two differ, xmlsec refuses to load ("lxml & xmlsec
libxml2 library version mismatch") or, worse, signatures are checked on trees the other library
built. The locks pin a pair whose wheels agree; this test fails when an upgrade breaks the pair.
"""

from __future__ import annotations

import lxml.etree
import xmlsec


def test_lxml_and_xmlsec_load_the_same_libxml2():
    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION
    assert xmlsec.get_libxml_compiled_version() == lxml.etree.LIBXML_COMPILED_VERSION


def test_a_document_lxml_built_is_signed_and_verified_by_xmlsec(entree_keys):
    """The cheapest round trip through both libraries: sign with one key, verify with its cert."""
    root = lxml.etree.fromstring(b'<doc xmlns="urn:x" ID="d1"><v>1</v></doc>')
    template = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
    root.append(template)
    ref = xmlsec.template.add_reference(template, xmlsec.Transform.SHA256, uri="#d1")
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.tree.add_ids(root, ["ID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(entree_keys.idp_key, xmlsec.KeyFormat.PEM)
    ctx.sign(template)
    verify = xmlsec.SignatureContext()
    verify.key = xmlsec.Key.from_memory(entree_keys.idp_cert, xmlsec.KeyFormat.CERT_PEM)
    verify.verify(template)
