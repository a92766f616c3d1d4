"""The layering contracts in pyproject.toml (import-linter) hold, and they would catch an upward import.

Run as the user runs them: the ``lint-imports`` command, on this tree and on a copy of it with
one import that points up (the roster importing the licence app, as it once did) or closes a
loop inside an app (the LVS actions importing the tasks that import them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

PACKAGES = ["audit", "roster", "licenses", "integrations", "portal", "demo", "bingel_admin"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "pyproject.toml", "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def copy_tree(target: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def test_the_contracts_are_kept():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("roster/importer/apply.py", "from licenses.actions import release_seats_of_departed_pupils"),
        ("audit/records.py", "from roster.models import School"),
        ("licenses/overview.py", "from integrations.status import links_summary"),
        ("bingel_admin/crypto.py", "from roster import models"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path, module, upward):
    copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(f"{upward}  # noqa\n{path.read_text()}")

    run = lint_imports(tmp_path)

    assert run.returncode == 1, run.stdout
    assert "BROKEN" in run.stdout and module.removesuffix(".py").replace("/", ".") in run.stdout


@pytest.mark.parametrize(
    ("module", "loop", "named"),
    [
        # The two loops that once hid behind function-level imports (acyclic_siblings contract); the
        # report names one edge of the loop to remove, whichever lint-imports finds cheapest.
        ("integrations/actions.py", "from integrations import tasks", (".export -> .actions", ".actions -> .tasks")),
        (
            "integrations/registry/changes.py",
            "from integrations.tasks import push_registry_school",
            (".registry -> .tasks",),
        ),
    ],
)
def test_an_import_loop_inside_an_app_breaks_a_contract(tmp_path, module, loop, named):
    copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(f"{loop}  # noqa\n{path.read_text()}")

    run = lint_imports(tmp_path)

    assert run.returncode == 1, run.stdout
    assert "No import cycle inside an app" in run.stdout and "BROKEN" in run.stdout
    assert any(edge in run.stdout for edge in named), run.stdout
