"""What checking a school's documents can find: warnings to show the school, errors that refuse it.

Hard problems refuse the school as a whole (``InvalidSchool`` with an ``ErrorCode``); soft ones
are ``Warnings``, grouped per ``WarningCode`` with a count and a few examples, so one sloppy
file cannot flood the log (``roster.feed.validation`` finds them, ``roster.reports`` shows them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 5


class WarningCode:
    PUPIL_UNKNOWN_GROUP = "pupil_unknown_group"
    PUPIL_WITHOUT_GROUP = "pupil_without_group"
    STAFF_WITHOUT_EMAIL = "staff_without_email"
    STAFF_SHARED_EMAIL = "staff_shared_email"
    GROUP_WITHOUT_TEACHER = "group_without_teacher"
    GROUP_WITHOUT_KEY = "group_without_key"
    BRIN_INVALID = "brin_invalid"
    DEPENDANCECODE_INVALID = "dependancecode_invalid"
    UNKNOWN_YEAR_LEVEL = "unknown_year_level"
    UNKNOWN_ROLE = "unknown_role"
    INVALID_CHARACTERS = "invalid_characters"


class ErrorCode:
    INVALID_JSON = "invalid_json"
    MISSING_ID = "missing_id"
    DUPLICATE_ID = "duplicate_id"
    SOURCE = "source"
    DATABASE = "database"
    WRONG_TYPE = "wrong_type"
    TOO_LONG = "too_long"
    UNEXPECTED = "unexpected"


class InvalidSchool(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Warnings:
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, code: str, example: str = "") -> None:
        self.counts[code] += 1
        if example and len(self.examples[code]) < MAX_EXAMPLES:
            self.examples[code].append(example)

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"code": code, "count": count, "examples": self.examples.get(code, [])}
            for code, count in sorted(self.counts.items())
        ]
