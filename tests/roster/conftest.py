"""Fixtures the roster's tests share."""

from __future__ import annotations

import pytest

from tests.roster_feed import group, pupil, school, staff, write_feed


@pytest.fixture
def one_school_per_chunk_feed(tmp_path, settings):
    """Call with the schools' Basispoort ids (and a group key): a folder feed of one group, one
    teacher and one pupil per school, which the nightly run queues as one task of one chunk per school."""

    def write(schools: list[int], group_key: str = "G5"):
        docs = [
            school(
                bp,
                groups=[group(group_key)],
                staff=[staff(bp + 1000, ["Leerkracht"], [group_key])],
                pupils=[pupil(bp + 5, group_key)],
            )
            for bp in schools
        ]
        write_feed(tmp_path, docs)
        settings.BASISPOORT_API_URL = ""
        settings.ROSTER_FOLDER = tmp_path
        settings.ROSTER_IMPORT_CHUNK_SIZE = 1
        settings.ROSTER_IMPORT_TASK_SCHOOLS = 1
        return tmp_path

    return write
