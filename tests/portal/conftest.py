"""Fixtures shared by the portal's tests."""

from __future__ import annotations

import pytest

from portal import cards as cards_module


@pytest.fixture
def built(monkeypatch) -> list[int]:
    """The ids of the schools whose "Mijn scholen" cards were built (not found in the cache), in order."""
    found: list[int] = []
    build = cards_module.attention_of_schools

    def recording(schools, today=None):
        found.extend(school.pk for school in schools)
        return build(schools, today)

    monkeypatch.setattr(cards_module, "attention_of_schools", recording)
    return found
