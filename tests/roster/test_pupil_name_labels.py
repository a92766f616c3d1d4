"""Pupils who share a name are told apart by the last digits of their pupil number; others
keep their plain name (issue 17, point 2)."""

from __future__ import annotations

import pytest
from django.utils import translation

from roster.naming import labels


@pytest.fixture(autouse=True)
def _dutch():
    with translation.override("nl"):
        yield


def test_only_shared_names_get_the_number_tail():
    shown = labels([("Bakker, Milan", "L10021104"), ("Bakker, Milan", "L10021117"), ("Smit, Noor", "L1")])
    assert shown == ["Bakker, Milan (lln.nr. …1104)", "Bakker, Milan (lln.nr. …1117)", "Smit, Noor"]


def test_numbers_ending_alike_are_shown_whole_so_the_names_still_differ():
    shown = labels([("Jansen, Fleur", "A-0001"), ("Jansen, Fleur", "B-0001")])
    assert shown == ["Jansen, Fleur (lln.nr. A-0001)", "Jansen, Fleur (lln.nr. B-0001)"]
    assert len(set(shown)) == 2


def test_short_numbers_are_shown_without_an_ellipsis():
    assert labels([("Bos, Daan", "12"), ("Bos, Daan", "13")]) == ["Bos, Daan (lln.nr. 12)", "Bos, Daan (lln.nr. 13)"]
