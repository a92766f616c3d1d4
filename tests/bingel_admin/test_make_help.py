"""`make help` (the default goal) lists every target of the Makefile, each with its line of help."""

from __future__ import annotations

import re
import subprocess

from tests.servers import ROOT


def test_make_help_lists_every_phony_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = {name for line in re.findall(r"^\.PHONY:(.*)$", makefile, re.M) for name in line.split()}
    assert len(targets) >= 17

    shown = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    )

    listed = dict(re.findall(r"^make (\S+) +(.+)$", shown.stdout, re.M))
    assert set(listed) == targets
    assert all(text.strip() for text in listed.values())
