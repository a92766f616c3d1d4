import pytest
from tests.new_year_world import build_moved_world
from licenses.new_year import build_plan
pytestmark = pytest.mark.django_db
def test_smoke(tmp_path):
    w = build_moved_world(tmp_path)
    plan = build_plan(w.school)
    print(plan.season, plan.roster_year, plan.stale)
    for item in plan.licences:
        print(item.licence.product.code, item.licence.kind, item.last_year_levels, [ (p.group.name, p.levels, p.last_year) for p in item.groups], [p.pupil.name for p in item.pupils], [l.name for l in item.no_room], [l.name for l in item.not_covered])
