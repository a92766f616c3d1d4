"""The Basispoort roster feed: reading it from a folder, and its document shapes.

The folder source holds the same documents at the same relative paths as the partner REST
API v2: ``instellingen.json``, ``instellingen/{id}.json`` and ``instellingen/{id}/details.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SchoolDocument:
    """One school's roster and details as Basispoort hands them over."""

    basispoort_id: int
    details: dict[str, Any]
    roster: dict[str, Any]


class FolderSource:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def school_ids(self) -> list[int]:
        return [int(x) for x in json.loads((self.root / "instellingen.json").read_text(encoding="utf-8"))]

    def fetch(self, basispoort_id: int) -> SchoolDocument:
        base = self.root / "instellingen"
        roster = json.loads((base / f"{basispoort_id}.json").read_text(encoding="utf-8"))
        details = json.loads((base / str(basispoort_id) / "details.json").read_text(encoding="utf-8"))
        return SchoolDocument(basispoort_id=basispoort_id, details=details, roster=roster)


def write_folder(root: Path | str, documents: list[SchoolDocument]) -> None:
    """Write documents as a folder feed, replacing each file atomically."""
    root = Path(root)
    (root / "instellingen").mkdir(parents=True, exist_ok=True)
    for doc in documents:
        (root / "instellingen" / str(doc.basispoort_id)).mkdir(exist_ok=True)
        _write_json(root / "instellingen" / f"{doc.basispoort_id}.json", doc.roster)
        _write_json(root / "instellingen" / str(doc.basispoort_id) / "details.json", doc.details)
    _write_json(root / "instellingen.json", [doc.basispoort_id for doc in documents])


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
