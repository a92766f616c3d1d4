"""The Basispoort roster feed: its document shapes, and reading it from a folder.

The folder source holds the same documents at the same relative paths as the partner REST
API v2: ``instellingen.json``, ``instellingen/{id}.json`` and ``instellingen/{id}/details.json``.
Sources hand over raw bytes; ``roster.feed.validation`` parses and checks them, so a broken file
is refused by the same code whichever source it came from.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class SchoolDocument:
    """One school's roster and details as Basispoort hands them over, parsed."""

    basispoort_id: int
    details: dict[str, Any]
    roster: dict[str, Any]


@dataclass(frozen=True)
class RawSchool:
    """One school's two documents as bytes, before anyone trusted them."""

    basispoort_id: int
    roster: bytes
    details: bytes


class SourceError(Exception):
    """A school's documents could not be fetched; retrying will not help (e.g. 404)."""


class TransientSourceError(SourceError):
    """The source did not answer in time or had a server error; a later attempt may succeed."""


class Source(Protocol):
    label: str

    def school_ids(self) -> list[int]: ...

    def fetch_raw(self, basispoort_id: int) -> RawSchool: ...

    def permission_changes(self, kind: str, since: dt.date) -> list[int]: ...


class FolderSource:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.label = str(self.root)

    def school_ids(self) -> list[int]:
        try:
            return [int(x) for x in json.loads((self.root / "instellingen.json").read_bytes())]
        except (OSError, ValueError, TypeError) as exc:
            raise SourceError(f"cannot read the school list in {self.root}: {exc}") from exc

    def fetch_raw(self, basispoort_id: int) -> RawSchool:
        base = self.root / "instellingen"
        try:
            roster = (base / f"{basispoort_id}.json").read_bytes()
            details = (base / str(basispoort_id) / "details.json").read_bytes()
        except OSError as exc:
            raise SourceError(f"school {basispoort_id}: {exc.strerror}: {exc.filename}") from exc
        return RawSchool(basispoort_id, roster, details)

    def permission_changes(self, kind: str, since: dt.date) -> list[int]:
        """Schools that granted (``toegekend``) or withdrew (``ingetrokken``) permission.

        The folder holds the current lists as ``instellingen/synchronizationpermission/<kind>.json``
        (the API takes a date in the path instead); a missing file is an empty list.
        """
        path = self.root / "instellingen" / "synchronizationpermission" / f"{kind}.json"
        if not path.exists():
            return []
        try:
            return permission_ids(path.read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise SourceError(f"cannot read {path}: {exc}") from exc


PERMISSION_KINDS = ("toegekend", "ingetrokken")


def permission_ids(raw: bytes) -> list[int]:
    """The ids in a permission list: plain ids, or objects carrying ``id`` / ``instellingId``."""
    ids = []
    for item in json.loads(raw):
        if isinstance(item, dict):
            item = item.get("instellingId", item.get("id"))
        ids.append(int(item))
    return ids


def write_folder(root: Path | str, documents: list[SchoolDocument]) -> None:
    """Write documents as a folder feed, replacing each file atomically."""
    root = Path(root)
    (root / "instellingen").mkdir(parents=True, exist_ok=True)
    for doc in documents:
        write_school(root, doc)
    _write_json(root / "instellingen.json", [doc.basispoort_id for doc in documents])


def write_school(root: Path, doc: SchoolDocument) -> None:
    (root / "instellingen" / str(doc.basispoort_id)).mkdir(parents=True, exist_ok=True)
    _write_json(root / "instellingen" / f"{doc.basispoort_id}.json", doc.roster)
    _write_json(root / "instellingen" / str(doc.basispoort_id) / "details.json", doc.details)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)
