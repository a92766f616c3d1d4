"""The W3C Nu Html Checker (npm package vnu-jar, pinned in package-lock.json) over saved pages.

One Java process checks a whole batch of files, which is far faster than one per page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(files: list[Path]) -> list[str]:
    """Every error the checker reports for ``files``, as "file:line: message"."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        raise RuntimeError("The Nu Html Checker needs Java and `npm ci` (make test does both).")
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in report["messages"]
        if m.get("type") in {"error", "non-document-error"}
    ]
