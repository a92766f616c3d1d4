"""Every imported package is declared; the locks are complete, hashed, consistent and match pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.servers import ROOT

RUNTIME_CODE = ["bingel_admin", "audit", "roster", "licenses", "integrations", "portal", "demo"]
TOOLING_CODE = ["tests", "bench", "devidp", ".ci"]
# Stand-ins for outside systems (demo/reference_lvs.py, demo/reference_registry.py) are development
# tools that only ever run in the demo and the tests: their imports count as tooling.
STAND_IN = "reference_*.py"
FIRST_PARTY = {
    *RUNTIME_CODE,
    "tests",
    "devidp_site",
    "common",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared(group: str | None) -> dict[str, Requirement]:
    raw = project()["dependencies"] if group is None else project()["optional-dependencies"][group]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in raw}


def pins(lock: str) -> dict[str, Version]:
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall((ROOT / "requirements" / lock).read_text())}


def imported_distributions(folders: list[str], stand_ins: bool = False) -> dict[str, set[str]]:
    """Third-party distributions the code in ``folders`` imports, as installed metadata names them."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if folder in RUNTIME_CODE and path.match(STAND_IN) != stand_ins:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__":
                        continue
                    if (path.parent / f"{top}.py").exists():  # a script's sibling module (bench/)
                        continue
                    assert top in owners, f"{path.relative_to(ROOT)} imports {top}, which no installed package provides"
                    for dist in owners[top]:
                        found.setdefault(canonicalize_name(dist), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_package_the_app_imports_is_a_declared_runtime_dependency():
    missing = {d: files for d, files in imported_distributions(RUNTIME_CODE).items() if d not in declared(None)}
    assert not missing, f"imported but not in [project].dependencies: {missing}"


def test_every_package_the_tooling_imports_is_declared():
    known = declared(None) | declared("dev")
    stand_ins = imported_distributions(RUNTIME_CODE, stand_ins=True)
    tooling = imported_distributions(TOOLING_CODE)
    missing = {d: files for d, files in (tooling | stand_ins).items() if d not in known}
    assert not missing, f"imported but not declared (runtime or dev): {missing}"


def test_every_locked_requirement_is_pinned_with_hashes():
    for lock in ("runtime.lock", "dev.lock"):
        text = (ROOT / "requirements" / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
        requirements = [e for e in entries if e.strip() and not e.lstrip().startswith(("#", "-"))]
        assert requirements, lock
        for entry in requirements:
            assert PIN.match(entry), f"{lock}: not pinned: {entry.splitlines()[0]}"
            assert "--hash=sha256:" in entry, f"{lock}: no hash: {entry.splitlines()[0]}"


def test_the_locks_satisfy_pyproject_and_agree_with_each_other():
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    for name, requirement in declared(None).items():
        assert name in runtime, f"{name} is declared but not in runtime.lock: run make lock"
        assert runtime[name] in requirement.specifier, f"runtime.lock: {name}=={runtime[name]} is outside {requirement}"
    for name, requirement in declared("dev").items():
        assert name in dev, f"{name} is declared in the dev extra but not in dev.lock: run make lock"
        assert dev[name] in requirement.specifier, f"dev.lock pins {name}=={dev[name]}, outside {requirement}"
    assert {n: v for n, v in dev.items() if n in runtime} == runtime, "dev.lock must hold the runtime pins unchanged"
    for tool in ("pytest", "playwright", "ruff", "bandit", "django-oauth-toolkit", "hypothesis", "pip-audit"):
        assert tool not in runtime, f"{tool} belongs in the dev lock only"


def test_nothing_refers_to_the_old_single_lock():
    files = ["Makefile", "Dockerfile", ".dockerignore", ".ci/run"]
    files += [str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")]
    files += [str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("*.py") if p.name != "test_dependency_locks.py"]
    assert not [f for f in files if "requirements.lock" in (ROOT / f).read_text()]
    assert not (ROOT / "requirements.lock").exists()
    readme = (ROOT / "README.md").read_text()  # it may say the old lock is gone, and what replaced it
    assert "requirements/runtime.lock" in readme and "requirements/dev.lock" in readme
    assert "-r requirements.lock" not in readme
