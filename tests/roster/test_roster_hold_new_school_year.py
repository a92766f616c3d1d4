"""The summer night that starts a new school year is no glitch: the demo's next-year feed
(group 8 gone, groups renamed and recombined, new ones) holds no school. The same documents
dated in the current school year would be held: the school year moving on is what lets them in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from roster.feed import FolderSource
from roster.importer import sync_roster
from roster.models import HeldNight, SchoolImportResult, SchoolResultStatus

pytestmark = pytest.mark.django_db


def statuses(run) -> set[str]:
    return set(SchoolImportResult.objects.filter(run=run).values_list("status", flat=True))


def test_the_next_school_year_holds_no_school(tmp_path):
    call_command("demo_world", feed_dir=str(tmp_path / "feed"))
    run, summary = sync_roster(FolderSource(tmp_path / "feed-volgend-jaar"), trigger="test")
    assert statuses(run) == {SchoolResultStatus.IMPORTED}
    assert summary.held == []
    # (The demo world keeps one held night of its own at Het Kompas; this run holds nothing.)
    assert not HeldNight.objects.filter(run=run).exists()


def redate(root: Path, stamp: str) -> None:
    for path in (root / "instellingen").rglob("*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "metaResult" in data:
            data["metaResult"] = {"mutationTimestamp": stamp, "generationTimestamp": stamp}
            path.write_text(json.dumps(data))


def test_the_same_changes_within_one_school_year_are_held(tmp_path):
    call_command("demo_world", feed_dir=str(tmp_path / "feed"))
    # Dated a month after the demo's own documents (20 August), in the same school year.
    redate(tmp_path / "feed-volgend-jaar", "2026-09-20T02:00:00+02:00")
    run, summary = sync_roster(FolderSource(tmp_path / "feed-volgend-jaar"), trigger="test")
    assert statuses(run) == {SchoolResultStatus.HELD}
    assert len(summary.held) == 3
