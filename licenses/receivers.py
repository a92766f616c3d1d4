"""How licences follow the roster, and how the licence pages' cached parts learn of changes.

Receivers of the signals ``roster.signals`` and ``licenses.signals`` send, and of model saves
and deletes (the back office edits licences and the catalogue through the Django admin).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from licenses.leaver_actions import licence_ties, release_seats_of_departed_pupils, restore_seats_of_returned_pupils
from licenses.models import GroupLink, Licence, Method, PageStamp, Product, Seat
from licenses.stamps import bump, bump_imported, bump_licences
from roster.models import Group, Pupil
from roster.signals import pupils_departed, pupils_returned, roster_changed, ties_requested


def release_seats_of_departed(sender, *, school, pupil_ids: list[int], **kwargs) -> int:
    """A pupil who left the school loses their per-pupil seats (audited as done by the import)."""
    return release_seats_of_departed_pupils(school, pupil_ids)


def restore_seats_of_returned(sender, *, school, pupil_ids: list[int], **kwargs) -> int:
    """A pupil back at the school gets back the seats their departure freed, where one is free."""
    return restore_seats_of_returned_pupils(school, pupil_ids)


def ties_for_hold_check(sender, *, school_ids: list[int], group_ids: list[int], pupil_ids: list[int], **kwargs) -> dict:
    """The roster's hold check asks which groups have links and which pupils hold seats."""
    return licence_ties(school_ids, group_ids, pupil_ids)


def schools_imported(sender, *, school_ids: list[int], **kwargs) -> None:
    """``roster_changed``: the import changed people or groups of a chunk's schools."""
    bump_imported(school_ids)


def school_row_saved(sender, instance, **kwargs) -> None:
    """A licence, group or pupil saved or deleted one at a time (back office, scripts)."""
    bump([instance.school_id])


def licence_row_saved(sender, instance, **kwargs) -> None:
    """A link or seat saved or deleted one at a time (an action, the import freeing a leaver's
    seat, the back office): only its licence's cards change."""
    bump_licences([instance.licence_id])


def catalogue_saved(sender, instance, **kwargs) -> None:
    """A method or product renamed, retyped or removed: every school's cards may name it."""
    bump([PageStamp.CATALOGUE])


def connect() -> None:
    pupils_departed.connect(release_seats_of_departed, dispatch_uid="licenses.release_seats_of_departed")
    pupils_returned.connect(restore_seats_of_returned, dispatch_uid="licenses.restore_seats_of_returned")
    ties_requested.connect(ties_for_hold_check, dispatch_uid="licenses.ties_for_hold_check")
    roster_changed.connect(schools_imported, dispatch_uid="licenses.pages.roster")
    # Links and seats a coordinator changes in bulk (bulk_create sends no signal) are stamped by
    # the action itself (``licenses.actions``, ``bump_licences``).
    for model in (GroupLink, Seat):
        post_save.connect(licence_row_saved, sender=model, dispatch_uid=f"licenses.pages.save.{model.__name__}")
        post_delete.connect(licence_row_saved, sender=model, dispatch_uid=f"licenses.pages.delete.{model.__name__}")
    for model in (Licence, Group):
        post_save.connect(school_row_saved, sender=model, dispatch_uid=f"licenses.pages.save.{model.__name__}")
        post_delete.connect(school_row_saved, sender=model, dispatch_uid=f"licenses.pages.delete.{model.__name__}")
    # Pupils leave through the import (roster_changed) and the purge of inactive ones, whose seats
    # go with them (Seat's delete above); a pupil saved on their own is renamed or moved.
    post_save.connect(school_row_saved, sender=Pupil, dispatch_uid="licenses.pages.save.Pupil")
    for model in (Method, Product):
        post_save.connect(catalogue_saved, sender=model, dispatch_uid=f"licenses.pages.save.{model.__name__}")
        post_delete.connect(catalogue_saved, sender=model, dispatch_uid=f"licenses.pages.delete.{model.__name__}")
