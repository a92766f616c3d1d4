"""What docs/ARCHITECTURE.md claims about the code and a machine can check, checked on the source.

- Every change to licence links (``GroupLink``, ``Seat``) is written by ``licenses/actions.py`` (a
  person's) or ``licenses/leaver_actions.py`` (the import's seats of pupils who leave and return).
- The audit actor of a school request is the access object's (``access.actor``): every view that
  passes an ``actor`` passes ``access.actor``, and an ``Actor`` is built only by the access helper,
  the audit app (the import) and the LVS actions (an LVS by name).
- The licence registry push is not called by the licence actions: it receives the lower apps'
  signals (``integrations/apps.py``), so ``licenses`` and ``roster`` never name it.
"""

from __future__ import annotations

import ast

from django.db.models.signals import post_save

from integrations.registry import changes
from licenses.models import Licence
from licenses.signals import licences_changed
from roster.signals import roster_changed
from tests.servers import ROOT

APPS = ("audit", "roster", "licenses", "integrations", "portal", "bingel_admin")
LINK_MODELS = {"GroupLink", "Seat"}
WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "bulk_update"}


def modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def _root_name(node) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def link_writers() -> dict[str, list[int]]:
    """Modules that build a GroupLink or Seat or call a writing queryset method on one."""
    found: dict[str, list[int]] = {}
    for name, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            built = isinstance(func, ast.Name) and func.id in LINK_MODELS
            written = isinstance(func, ast.Attribute) and func.attr in WRITES and _root_name(func) in LINK_MODELS
            if built or written:
                found.setdefault(name, []).append(node.lineno)
    return found


def test_only_the_licence_actions_write_links_and_seats():
    assert set(link_writers()) == {"licenses/actions.py", "licenses/leaver_actions.py"}


def test_views_pass_the_access_objects_actor():
    passed = []
    for name, tree in modules():
        if not name.endswith("views.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "actor":
                passed.append((name, ast.unparse(node.value)))
    assert passed, "no view passes an actor: the check looks at nothing"
    assert {value for _name, value in passed} == {"access.actor"}, passed


def test_an_actor_is_built_only_by_the_access_helper_the_audit_app_and_the_lvs_actions():
    builders = set()
    for name, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Actor":
                builders.add(name)
    assert builders == {"roster/access.py", "audit/records.py", "integrations/actions.py"}


def test_the_registry_push_receives_signals_and_no_lower_app_names_it():
    for name, tree in modules():
        if name.startswith(("roster/", "licenses/", "audit/")):
            imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
                alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
            ]
            assert not any(module.startswith("integrations") for module in imported), name
    assert changes.on_licences_changed in receivers(licences_changed, None)
    assert changes.on_roster_changed in receivers(roster_changed, None)
    assert changes.on_licence_saved in receivers(post_save, Licence)


def receivers(signal, sender) -> list:
    sync, asynchronous = signal._live_receivers(sender)  # Django 5: (sync, async)
    return [*sync, *asynchronous]
