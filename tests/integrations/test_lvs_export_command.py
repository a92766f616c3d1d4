"""manage.py export_results: --dry-run --out writes the exact next envelope and sends nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from integrations.models import DeliveryBatch
from integrations.uwlr.message import AUTORISATIE_NS, LEERRESULTATEN_NS, SOAP_ENV_NS
from integrations.uwlr.schema import autorisatie_schema, leerresultaten_schema, schema_errors
from roster.models import Pupil
from tests.lvs_helpers import LVS_KEY, make_result_link, make_supplier, result_ids, store


def test_dry_run_writes_a_valid_envelope_without_sending_or_batching(world, reference_lvs, tmp_path):
    lvs, url = reference_lvs
    make_result_link(world.school_a, make_supplier("Momento", url))
    emma = Pupil.objects.get(first_name="Emma")
    store([emma], 5)
    store([emma], 3, kind="toetsresultaat", prefix="t")
    out = tmp_path / "bericht.xml"
    call_command("export_results", "--school", "12AB00", "--dry-run", "--out", str(out))

    envelope = etree.parse(str(out)).getroot()
    auth = envelope.find(f"{{{SOAP_ENV_NS}}}Header/{{{AUTORISATIE_NS}}}autorisatie")
    assert schema_errors(autorisatie_schema(), auth) == []
    assert auth.findtext(f"{{{AUTORISATIE_NS}}}autorisatiesleutel") == "VERBORGEN"
    verzoek = envelope.find(f"{{{SOAP_ENV_NS}}}Body/{{{LEERRESULTATEN_NS}}}leerresultaten_verzoek")
    assert schema_errors(leerresultaten_schema(), verzoek) == []
    keys = [r.get("key") for r in verzoek.iter(f"{{{LEERRESULTATEN_NS}}}resultaat")]
    assert [key.split(":", 1)[1] for key in keys] == [f"r-{i}" for i in range(5)]
    assert (out.stat().st_mode & 0o777) == 0o600
    assert lvs.requests == 0 and not DeliveryBatch.objects.exists()

    call_command("export_results", "--school", str(world.school_a.pk), "--dry-run", "--out", str(out), "--include-key")
    assert LVS_KEY in out.read_text()


def test_export_now_for_one_school(world, reference_lvs):
    lvs, url = reference_lvs
    make_result_link(world.school_a, make_supplier("Momento", url))
    store([Pupil.objects.get(first_name="Emma")], 4)
    call_command("export_results", "--school", "12AB00")
    assert result_ids(lvs.stored) == [f"r-{i}" for i in range(4)]


def test_unknown_or_ambiguous_school_is_a_clear_error(world):
    with pytest.raises(CommandError, match="no school"):
        call_command("export_results", "--school", "99ZZ", "--dry-run")
    with pytest.raises(CommandError, match="more than one"):
        call_command("export_results", "--school", "12AB", "--dry-run")
    with pytest.raises(CommandError, match="No current result link"):
        call_command("export_results", "--school", "34CD00", "--dry-run")
