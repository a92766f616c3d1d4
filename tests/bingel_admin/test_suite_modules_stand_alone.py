"""docs/TESTING.md: a test module never imports another test module. What two tests share lives
in a helper module at the top of tests/ (``tests.factories``, ``tests.school_urls``, ``tests.axe``,
…) or in a folder's ``conftest.py``, so running, moving or deleting one test file never changes
another. A conftest is not imported either: pytest loads it, and its fixtures reach the tests
by name; what a test needs from it as a value moves to a helper (``tests.run_log``).

Every module under tests/ (test modules, helpers and conftests) is read with ``ast``. An import
that names a ``test_*.py`` or ``conftest.py`` file of tests/ is refused in every form:
``import tests.test_x``, ``from tests.roster.test_x import y``, ``from tests import test_x`` and
the relative ``from .test_x import y`` / ``from . import test_x``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.servers import ROOT

TESTS = ROOT / "tests"


def dotted_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def is_test_module(name: str) -> bool:
    """``name`` (dotted) is a test_*.py or a conftest.py file under tests/."""
    last = name.rsplit(".", 1)[-1]
    if not name.startswith("tests.") or not (last.startswith("test_") or last == "conftest"):
        return False
    return (ROOT / Path(*name.split("."))).with_suffix(".py").is_file()


def imported_names(source: str, module: str) -> Iterator[tuple[int, str]]:
    """Every module name ``module``'s source may import, with its line: for ``from a import b``
    both ``a`` and ``a.b`` (``b`` may be a module); relative imports resolved against ``module``."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def imports_of_test_modules() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        module = dotted_name(path)
        for line, name in imported_names(path.read_text(encoding="utf-8"), module):
            if is_test_module(name) and name != module:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return found


def test_no_module_of_the_suite_imports_a_test_module():
    assert imports_of_test_modules() == []


def test_the_check_sees_every_form_of_import():
    source = "\n".join(
        [
            "import tests.test_school_urls_access",
            "from tests.roster.test_access_rules import world",
            "from tests import test_page_query_bounds",
            "from .test_accessibility import audit",
            "from . import test_fuzz_every_post",
            "from tests.conftest import world",
            "from tests.factories import login_as",
            "from tests.browser import test_looking_like_a_test",
        ]
    )
    names = {name for _line, name in imported_names(source, "tests.test_example") if is_test_module(name)}
    assert names == {
        "tests.test_school_urls_access",
        "tests.roster.test_access_rules",
        "tests.test_page_query_bounds",
        "tests.test_accessibility",
        "tests.test_fuzz_every_post",
        "tests.conftest",
    }
