"""How licences follow the roster: receivers of the signals ``roster.signals`` sends."""

from __future__ import annotations

from roster.signals import pupils_departed


def release_seats_of_departed(sender, *, school, pupil_ids: list[int], **kwargs) -> int:
    """A pupil who left the school loses their per-pupil seats (audited as done by the import)."""
    from licenses.actions import release_seats_of_departed_pupils

    return release_seats_of_departed_pupils(school, pupil_ids)


def connect() -> None:
    pupils_departed.connect(release_seats_of_departed, dispatch_uid="licenses.release_seats_of_departed")
