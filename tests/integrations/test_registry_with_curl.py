"""The reference registry spoken to with curl, a client we did not write: mutual TLS, PUT, digest listing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def curl(url: str, pki, *args: str) -> tuple[int, object]:
    done = subprocess.run(
        ["curl", "-sS", "--cacert", str(pki.ca), "--cert", str(pki.client), "-w", "\n%{http_code}", *args, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_curl_puts_a_set_and_reads_its_digest(reference_registry, registry_pki):
    _, base = reference_registry
    body = {
        "versie": 3,
        "schooljaar": "2026-2027",
        "geldigTot": "2027-07-31",
        "product": {
            "naam": "Taal 4",
            "methode": "Taalkompas",
            "productsoort": "Basis digitaal",
            "url": "https://a.example/",
        },
        "gebruikers": [{"id": 20, "eckid": None, "rol": "leerling"}, {"id": 3, "eckid": "eck", "rol": "leerkracht"}],
    }
    status, answer = curl(
        base + "licenties/42/taal-4",
        registry_pki,
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(body),
    )
    assert (status, answer) == (200, {"versie": 3, "aantal": 2})
    status, listed = curl(base + "licenties/42", registry_pki)
    assert status == 200
    assert listed == [
        {"productcode": "taal-4", "versie": 3, "aantal": 2, "sha256": hashlib.sha256(b"3,20").hexdigest()}
    ]
    status, answer = curl(base + "licenties/42/taal-4?versie=2", registry_pki, "-X", "DELETE")
    assert (status, answer) == (409, {"versie": 3})
