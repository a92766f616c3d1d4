"""A board of five schools for "Mijn scholen": Anouk Smit is ict-coördinator of three of them.

The other personas: Mark Jansen teaches at the first school, Ilse Bakker coordinates the fourth
only, and Fatima el Amrani (the outsider) coordinates the fifth. Every school has a group, a
pupil, a per-group and a per-pupil licence, each named after the school so a leak shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from licenses.models import LicenceKind, Seat
from roster.models import Role, School, Staff
from tests.factories import appoint, make_group, make_licence, make_product, make_pupil, make_school, make_staff

BOARD = ["Één Linde", "Twee Eik", "Drie Beuk", "Vier Wilg", "Vijf Hazelaar"]


@dataclass
class Board:
    schools: list[School]
    coordinator_of_three: Staff
    teacher: Staff
    coordinator_of_one: Staff
    outsider: Staff

    @property
    def mine(self) -> list[School]:
        return self.schools[:3]

    @property
    def not_mine(self) -> list[School]:
        return self.schools[3:]


@pytest.fixture
def board(db) -> Board:
    product = make_product("rekenroute-digitaal")
    extra = make_product("leeslicht-plus", year_levels=("4", "5"))
    schools = []
    for n, name in enumerate(BOARD):
        school = make_school(f"Basisschool {name}", f"{n + 1:02d}BB", dependancecode="00", city="Zwolle")
        group = make_group(school, f"Groep 4 {name}", "4")
        pupil = make_pupil(school, group, "Leerling", f"van {name}")
        make_licence(school, product)
        seats = make_licence(school, extra, LicenceKind.PER_PUPIL, seats=3)
        Seat.objects.create(licence=seats, pupil=pupil, school=school)
        schools.append(school)
    anouk = make_staff("Anouk", "Smit")
    for school in schools[:3]:
        appoint(anouk, school, Role.ICT_COORDINATOR)
    teacher = make_staff("Mark", "Jansen")
    appoint(teacher, schools[0], Role.TEACHER)
    ilse = make_staff("Ilse", "Bakker")
    appoint(ilse, schools[3], Role.ICT_COORDINATOR)
    fatima = make_staff("Fatima", "Amrani", infix="el")
    appoint(fatima, schools[4], Role.ICT_COORDINATOR)
    return Board(schools, anouk, teacher, ilse, fatima)


def download_body(response) -> bytes:
    """A response's bytes, streamed or not; the test client closes a streamed one (and its file)
    once its content has been read to the end."""
    return b"".join(response.streaming_content) if response.streaming else response.content
