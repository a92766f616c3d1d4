"""The licence registry's protocol (our SPEC's "Licence registry") as an OpenAPI 3.1 document
(integrations/registry/openapi/licentieregister.yaml), and the reference registry we test our
client against held to it: schemathesis attacks the running reference registry over mutual TLS
from the document alone — every operation, positive and negative data, and the document's links
(a stored set appears in the school's list and can be deleted with the version it was stored at)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from demo.reference_registry import ReferenceRegistry, running
from integrations.registry import protocol
from tests.registry_helpers import registry_pki  # noqa: F401 - a fixture

DOCUMENT = Path(protocol.__file__).parent / "openapi" / "licentieregister.yaml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def spec() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def test_the_document_is_valid_openapi_3_1():
    document = spec()
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_the_documents_paths_are_the_protocols():
    # The paths our client builds (protocol.py) are the documented ones.
    built = {
        "/" + protocol.set_path(1, "p"): "/licenties/{instellingId}/{productcode}",
        "/" + protocol.school_path(1): "/licenties/{instellingId}",
        "/" + protocol.person_path(1): "/gebruikers/{id}/lesmateriaal",
    }
    assert set(built.values()) == set(spec()["paths"])
    for concrete, template in built.items():
        assert concrete.split("/")[1] == template.split("/")[1] and concrete.count("/") == template.count("/")
    example = spec()["components"]["schemas"]["Licentieset"]["example"]
    assert protocol.body_errors(example) is None  # the documented example is a body both sides accept


def test_schemathesis_finds_nothing_against_the_reference_registry(registry_pki, tmp_path):  # noqa: F811
    registry = ReferenceRegistry(seed=27)
    with running(registry, registry_pki) as url:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                str(DOCUMENT),
                "--url",
                url.rstrip("/"),
                "--request-cert",
                str(registry_pki.client),
                "--tls-verify",
                str(registry_pki.ca),
                "--mode",
                "all",
                "--checks",
                "all",
                # Schema-valid bodies may be refused (400) for what JSON Schema cannot say: a user
                # twice in one set, a school year whose second year is not the first plus one.
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                "40",
                "--seed",
                "2027",
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,  # its cache (.schemathesis/) stays out of the checkout
        )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    # The run wrote sets and read them back: the stateful links were followed.
    counts = registry.counts()
    assert counts.get("PUT 200", 0) > 0 and counts.get("GET 200", 0) > 0 and counts.get("DELETE 200", 0) > 0, counts
