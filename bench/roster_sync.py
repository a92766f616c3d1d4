"""Benchmark of the nightly roster import at national scale, against a COPY-and-merge baseline.

    .venv/bin/python bench/roster_sync.py [--scale 1.0]      (or: make bench-roster)

In one run, on a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bingel_bench_roster, created and migrated when missing):

  (a) baseline: the feed flattened to rows, COPY'd into staging tables and merged into the
      roster tables with set-based SQL, all schools at once, into empty tables;
  (b) ``manage.py sync_roster`` into empty tables;
  (c) ``sync_roster`` again: a night without changes;
  (d) ``sync_roster`` on a second night where 2 % of pupils moved or were renamed, 1 % left
      and 1 % are new.

Each phase runs in its own process, so its peak RSS is its own; the machine's load average
before and after each phase is recorded next to it. The figures are printed and
written to the "Nightly roster import" section of docs/PERFORMANCE.md. The generated feed
(deterministic; 6,057 schools, ~1.37 M pupils at scale 1) is kept in var/bench-feed and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from common import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bingel_admin.settings")

NATIONAL_SCHOOLS = 6057
FIRST_INDEX = 4  # 1–3 are the hand-made demo schools
NIGHT_2 = "2026-09-02T02:00:00+02:00"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bingel_bench_roster"
SECTION = "## Nightly roster import"


# --- The feed ------------------------------------------------------------------------------


def school_shape(index: int) -> dict:
    """Sizes that average to the national figures: ~11.7 groups, ~226 pupils, ~22 staff per school."""
    return {
        "groups": 10 + (index % 3 != 0),
        "pupils_per_group": 21 + (index % 5 == 0),
        "extra_staff": 11 + (index % 3 == 0),
    }


def write_doc(root: Path, bp_id: int, roster: dict, details: dict) -> None:
    folder = root / "instellingen" / str(bp_id)
    folder.mkdir(parents=True, exist_ok=True)
    (root / "instellingen" / f"{bp_id}.json").write_bytes(orjson.dumps(roster))
    (folder / "details.json").write_bytes(orjson.dumps(details))


def generate(root: Path, schools: int) -> dict:
    """Write the first night's feed school by school; returns the row counts (kept in manifest.json)."""
    from demo.world import generated_school

    manifest = root / "manifest.json"
    if manifest.exists():
        data = orjson.loads(manifest.read_bytes())
        if data.get("schools") == schools:
            return data
    counts = {"schools": schools, "groups": 0, "pupils": 0, "staff": 0, "rows": 0}
    ids = []
    for index in range(FIRST_INDEX, FIRST_INDEX + schools):
        doc = generated_school(index, **school_shape(index))
        write_doc(root, doc.basispoort_id, doc.roster, doc.details)
        ids.append(doc.basispoort_id)
        counts["groups"] += len(doc.roster["groepen"]) + len(doc.roster["subgroepen"])
        counts["pupils"] += len(doc.roster["leerlingen"])
        counts["staff"] += len(doc.roster["medewerkers"])
    counts["rows"] = counts["schools"] + counts["groups"] + counts["pupils"] + 2 * counts["staff"]
    (root / "instellingen.json").write_bytes(orjson.dumps(ids))
    manifest.write_bytes(orjson.dumps(counts))
    return counts


def second_night(first: Path, second: Path) -> dict:
    """Copy the feed with 2 % of pupils moved or renamed, 1 % gone and 1 % new (deterministic)."""
    rng = random.Random(2)  # noqa: S311 - repeatable test data
    ids = orjson.loads((first / "instellingen.json").read_bytes())
    changes = {"moved_or_renamed": 0, "left": 0, "new": 0}
    next_id = 90_000_000
    for bp_id in ids:
        roster = orjson.loads((first / "instellingen" / f"{bp_id}.json").read_bytes())
        details = orjson.loads((first / "instellingen" / str(bp_id) / "details.json").read_bytes())
        keys = [g["lasKey"] for g in roster["groepen"]]
        kept = []
        for p in roster["leerlingen"]:
            roll = rng.random()
            if roll < 0.01:
                changes["left"] += 1
                continue
            if roll < 0.02:
                p["groep"] = rng.choice([k for k in keys if k != p["groep"]])
                changes["moved_or_renamed"] += 1
            elif roll < 0.03:
                p["persoonsgegevens"]["achternaam"] += "-Smit"
                changes["moved_or_renamed"] += 1
            kept.append(p)
        for _ in range(round(len(roster["leerlingen"]) * 0.01 + rng.random() - 0.5)):
            template = dict(rng.choice(kept))
            template.update(id=next_id, lasKey=f"L{next_id}", eckid=None, subgroepen=[])
            kept.append(template)
            next_id += 1
            changes["new"] += 1
        roster["leerlingen"] = kept
        roster["metaResult"]["mutationTimestamp"] = NIGHT_2
        details["metaResult"]["mutationTimestamp"] = NIGHT_2
        write_doc(second, bp_id, roster, details)
    (second / "instellingen.json").write_bytes(orjson.dumps(ids))
    return changes


# --- Baseline: COPY into staging tables and merge with set-based SQL --------------------------

STAGING = {
    "s_school": "bp bigint, name text, street text, house_number text, house_number_suffix text, postcode text, "
    "city text, brin text, dependancecode text, schoolkey text, instelling_ref text, bestuurscode text, "
    "active boolean, mutation_timestamp timestamptz",
    "s_group": "school_bp bigint, las_key text, name text, jaargroep text, description text, is_subgroup boolean",
    "s_staff": "bp bigint, eckid text, first_name text, infix text, last_name text, initials text",
    "s_appointment": "school_bp bigint, staff_bp bigint, las_key text, email text",
    "s_role": "school_bp bigint, staff_bp bigint, role text",
    "s_member": "school_bp bigint, staff_bp bigint, las_key text",
    "s_pupil": "school_bp bigint, bp bigint, eckid text, las_key text, first_name text, infix text, last_name text, "
    "initials text, jaargroep text, group_key text",
    "s_pupil_sub": "school_bp bigint, pupil_bp bigint, las_key text",
}
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _field(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_ESCAPE)


def _names(person: dict) -> list:
    data = person.get("persoonsgegevens") or {}
    return [data.get("voornaam"), data.get("voorvoegsel"), data.get("achternaam"), data.get("voorletters")]


def flatten(root: Path, out: dict) -> None:
    for bp in orjson.loads((root / "instellingen.json").read_bytes()):
        r = orjson.loads((root / "instellingen" / f"{bp}.json").read_bytes())
        d = orjson.loads((root / "instellingen" / str(bp) / "details.json").read_bytes())
        row = [bp, d.get("naam"), d.get("straat"), d.get("huisnummer"), d.get("huisnummertoevoeging")]
        row += [d.get("postcode"), d.get("woonplaats"), d.get("brincode"), d.get("dependancecode")]
        row += [d.get("schoolkey"), d.get("instellingRef"), d.get("bestuurscode"), r.get("actief", True)]
        row += [(r.get("metaResult") or {}).get("mutationTimestamp")]
        _write(out["s_school"], row)
        for key, sub in (("groepen", False), ("subgroepen", True)):
            for g in r.get(key) or []:
                _write(out["s_group"], [bp, g["lasKey"], g.get("naam"), g.get("jaargroep"), g.get("omschrijving"), sub])
        for s in r.get("medewerkers") or []:
            _write(out["s_staff"], [s["id"], s.get("eckid"), *_names(s)])
            _write(out["s_appointment"], [bp, s["id"], s.get("lasKey"), (s.get("emailadres") or "").lower()])
            for role in s.get("rollen") or []:
                _write(out["s_role"], [bp, s["id"], role])
            for k in (s.get("groepen") or []) + (s.get("subgroepen") or []):
                _write(out["s_member"], [bp, s["id"], k])
        for p in r.get("leerlingen") or []:
            names = _names(p)
            _write(
                out["s_pupil"],
                [bp, p["id"], p.get("eckid"), p.get("lasKey"), *names, p.get("jaargroep"), p.get("groep")],
            )
            for k in p.get("subgroepen") or []:
                _write(out["s_pupil_sub"], [bp, p["id"], k])


def _write(handle, row: list) -> None:
    handle.write("\t".join(_field(v) for v in row))
    handle.write("\n")


# The baseline writes no ECK iD (the bench feed has none): only the import may seal one.
MERGE = """
CREATE INDEX ON s_group (school_bp, las_key); CREATE INDEX ON s_pupil (school_bp, bp);
CREATE INDEX ON s_appointment (school_bp, staff_bp); CREATE INDEX ON s_school (bp);
ANALYZE s_school; ANALYZE s_group; ANALYZE s_staff; ANALYZE s_appointment; ANALYZE s_role; ANALYZE s_member;
ANALYZE s_pupil; ANALYZE s_pupil_sub;

INSERT INTO roster_school (basispoort_id, name, street, house_number, house_number_suffix, postcode, city, brin,
    dependancecode, schoolkey, instelling_ref, bestuurscode, active, sync_permitted, mutation_timestamp)
SELECT bp, coalesce(name, '?'), coalesce(street, ''), coalesce(house_number, ''), coalesce(house_number_suffix, ''),
    coalesce(postcode, ''), coalesce(city, ''), coalesce(brin, ''), coalesce(dependancecode, ''),
    coalesce(schoolkey, ''), coalesce(instelling_ref, ''), coalesce(bestuurscode, ''), active, true, mutation_timestamp
FROM s_school
ON CONFLICT (basispoort_id) DO UPDATE SET name = EXCLUDED.name, street = EXCLUDED.street, city = EXCLUDED.city,
    brin = EXCLUDED.brin, active = EXCLUDED.active, mutation_timestamp = EXCLUDED.mutation_timestamp
WHERE (roster_school.name, roster_school.street, roster_school.city, roster_school.brin, roster_school.active,
    roster_school.mutation_timestamp) IS DISTINCT FROM
    (EXCLUDED.name, EXCLUDED.street, EXCLUDED.city, EXCLUDED.brin, EXCLUDED.active, EXCLUDED.mutation_timestamp);

CREATE TEMP TABLE s_school_id AS SELECT s.bp, sc.id FROM s_school s JOIN roster_school sc ON sc.basispoort_id = s.bp;
CREATE INDEX ON s_school_id (bp); ANALYZE s_school_id;

INSERT INTO roster_group (school_id, las_key, name, jaargroep, description, is_subgroup, active)
SELECT si.id, g.las_key, coalesce(g.name, g.las_key), coalesce(g.jaargroep, ''), coalesce(g.description, ''),
    g.is_subgroup, true
FROM s_group g JOIN s_school_id si ON si.bp = g.school_bp
ON CONFLICT (school_id, las_key) DO UPDATE SET name = EXCLUDED.name, jaargroep = EXCLUDED.jaargroep,
    description = EXCLUDED.description, is_subgroup = EXCLUDED.is_subgroup, active = true
WHERE (roster_group.name, roster_group.jaargroep, roster_group.description, roster_group.is_subgroup,
    roster_group.active) IS DISTINCT FROM
    (EXCLUDED.name, EXCLUDED.jaargroep, EXCLUDED.description, EXCLUDED.is_subgroup, true);
UPDATE roster_group g SET active = false FROM s_school_id si
WHERE g.school_id = si.id AND g.active
  AND NOT EXISTS (SELECT 1 FROM s_group s WHERE s.school_bp = si.bp AND s.las_key = g.las_key);

INSERT INTO roster_staff (basispoort_id, eckid_encrypted, eckid_fingerprint, first_name, infix, last_name, initials)
SELECT DISTINCT ON (bp) bp, '', '', coalesce(first_name, ''), coalesce(infix, ''),
    coalesce(last_name, ''), coalesce(initials, '')
FROM s_staff ORDER BY bp
ON CONFLICT (basispoort_id) DO UPDATE SET eckid_fingerprint = EXCLUDED.eckid_fingerprint,
    first_name = EXCLUDED.first_name, infix = EXCLUDED.infix, last_name = EXCLUDED.last_name,
    initials = EXCLUDED.initials
WHERE (roster_staff.eckid_fingerprint, roster_staff.first_name, roster_staff.infix, roster_staff.last_name,
    roster_staff.initials) IS DISTINCT FROM
    (EXCLUDED.eckid_fingerprint, EXCLUDED.first_name, EXCLUDED.infix, EXCLUDED.last_name, EXCLUDED.initials);

INSERT INTO roster_appointment (school_id, staff_id, las_key, email, active)
SELECT si.id, st.id, coalesce(a.las_key, ''), a.email, true
FROM s_appointment a JOIN s_school_id si ON si.bp = a.school_bp JOIN roster_staff st ON st.basispoort_id = a.staff_bp
ON CONFLICT (school_id, staff_id) DO UPDATE SET las_key = EXCLUDED.las_key, email = EXCLUDED.email, active = true
WHERE (roster_appointment.las_key, roster_appointment.email, roster_appointment.active) IS DISTINCT FROM
    (EXCLUDED.las_key, EXCLUDED.email, true);
UPDATE roster_appointment ap SET active = false, las_key = '' FROM s_school_id si, roster_staff st
WHERE ap.school_id = si.id AND ap.staff_id = st.id AND ap.active
  AND NOT EXISTS (SELECT 1 FROM s_appointment a WHERE a.school_bp = si.bp AND a.staff_bp = st.basispoort_id);

CREATE TEMP TABLE s_appt_id AS
SELECT a.school_bp, a.staff_bp, ap.id FROM s_appointment a JOIN s_school_id si ON si.bp = a.school_bp
JOIN roster_staff st ON st.basispoort_id = a.staff_bp JOIN roster_appointment ap
  ON ap.school_id = si.id AND ap.staff_id = st.id;
CREATE INDEX ON s_appt_id (school_bp, staff_bp); ANALYZE s_appt_id;

CREATE TEMP TABLE want_role AS SELECT DISTINCT ai.id AS appointment_id, r.role FROM s_role r
JOIN s_appt_id ai ON ai.school_bp = r.school_bp AND ai.staff_bp = r.staff_bp;
DELETE FROM roster_appointmentrole ar USING s_appt_id ai WHERE ar.appointment_id = ai.id
  AND NOT EXISTS (SELECT 1 FROM want_role w WHERE w.appointment_id = ar.appointment_id AND w.role = ar.role);
INSERT INTO roster_appointmentrole (appointment_id, role) SELECT appointment_id, role FROM want_role
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE s_group_id AS SELECT g.school_bp, g.las_key, rg.id FROM s_group g
JOIN s_school_id si ON si.bp = g.school_bp JOIN roster_group rg ON rg.school_id = si.id AND rg.las_key = g.las_key;
CREATE INDEX ON s_group_id (school_bp, las_key); ANALYZE s_group_id;

CREATE TEMP TABLE want_member AS SELECT DISTINCT ai.id AS appointment_id, gi.id AS group_id FROM s_member m
JOIN s_appt_id ai ON ai.school_bp = m.school_bp AND ai.staff_bp = m.staff_bp
JOIN s_group_id gi ON gi.school_bp = m.school_bp AND gi.las_key = m.las_key;
DELETE FROM roster_appointment_groups ag USING s_appt_id ai WHERE ag.appointment_id = ai.id
  AND NOT EXISTS (SELECT 1 FROM want_member w WHERE w.appointment_id = ag.appointment_id AND w.group_id = ag.group_id);
INSERT INTO roster_appointment_groups (appointment_id, group_id) SELECT appointment_id, group_id FROM want_member
ON CONFLICT DO NOTHING;

INSERT INTO roster_pupil (school_id, basispoort_id, eckid_encrypted, eckid_fingerprint, las_key, first_name, infix,
    last_name, initials, jaargroep, group_id, active, left_at)
SELECT si.id, p.bp, '', '', coalesce(p.las_key, ''), coalesce(p.first_name, ''),
    coalesce(p.infix, ''), coalesce(p.last_name, ''), coalesce(p.initials, ''), coalesce(p.jaargroep, ''),
    gi.id, true, NULL
FROM s_pupil p JOIN s_school_id si ON si.bp = p.school_bp
LEFT JOIN s_group_id gi ON gi.school_bp = p.school_bp AND gi.las_key = p.group_key
ON CONFLICT (school_id, basispoort_id) DO UPDATE SET eckid_fingerprint = EXCLUDED.eckid_fingerprint,
    las_key = EXCLUDED.las_key,
    first_name = EXCLUDED.first_name, infix = EXCLUDED.infix, last_name = EXCLUDED.last_name,
    initials = EXCLUDED.initials, jaargroep = EXCLUDED.jaargroep, group_id = EXCLUDED.group_id,
    active = true, left_at = NULL
WHERE (roster_pupil.eckid_fingerprint, roster_pupil.las_key, roster_pupil.first_name, roster_pupil.infix,
    roster_pupil.last_name, roster_pupil.initials, roster_pupil.jaargroep, roster_pupil.group_id,
    roster_pupil.active) IS DISTINCT FROM
    (EXCLUDED.eckid_fingerprint, EXCLUDED.las_key, EXCLUDED.first_name, EXCLUDED.infix, EXCLUDED.last_name,
    EXCLUDED.initials, EXCLUDED.jaargroep, EXCLUDED.group_id, true);
CREATE TEMP TABLE left_pupil AS
SELECT rp.id FROM roster_pupil rp JOIN s_school_id si ON rp.school_id = si.id
WHERE rp.active AND NOT EXISTS (SELECT 1 FROM s_pupil p WHERE p.school_bp = si.bp AND p.bp = rp.basispoort_id);
UPDATE roster_pupil SET active = false, left_at = now() WHERE id IN (SELECT id FROM left_pupil);
DELETE FROM licenses_seat WHERE pupil_id IN (SELECT id FROM left_pupil);

CREATE TEMP TABLE want_sub AS SELECT DISTINCT rp.id AS pupil_id, gi.id AS group_id FROM s_pupil_sub ps
JOIN s_school_id si ON si.bp = ps.school_bp
JOIN roster_pupil rp ON rp.school_id = si.id AND rp.basispoort_id = ps.pupil_bp
JOIN s_group_id gi ON gi.school_bp = ps.school_bp AND gi.las_key = ps.las_key;
DELETE FROM roster_pupil_subgroups ps USING roster_pupil rp, s_school_id si
WHERE ps.pupil_id = rp.id AND rp.school_id = si.id
  AND NOT EXISTS (SELECT 1 FROM want_sub w WHERE w.pupil_id = ps.pupil_id AND w.group_id = ps.group_id);
INSERT INTO roster_pupil_subgroups (pupil_id, group_id) SELECT pupil_id, group_id FROM want_sub
ON CONFLICT DO NOTHING;
"""


def baseline(feed: Path) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    with tempfile.TemporaryDirectory() as tmp:
        files = {name: open(Path(tmp) / f"{name}.tsv", "w", encoding="utf-8") for name in STAGING}  # noqa: SIM115
        try:
            flatten(feed, files)
        finally:
            for handle in files.values():
                handle.close()
        with transaction.atomic(), connection.cursor() as cursor:
            for name, columns in STAGING.items():
                cursor.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
                with open(Path(tmp) / f"{name}.tsv", "rb") as source, cursor.copy(f"COPY {name} FROM STDIN") as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
            cursor.execute("SET LOCAL work_mem = '256MB'")
            for statement in MERGE.split(";\n"):
                if statement.strip():
                    cursor.execute(statement)
            cursor.execute(
                "DROP TABLE s_school_id, s_appt_id, want_role, s_group_id, want_member, left_pupil, want_sub"
            )


# --- Driver --------------------------------------------------------------------------------


def run_child(args: list[str], env: dict) -> tuple[float, resource.struct_rusage, float, float]:
    """Run a child process to its end; return its wall time (s), its resource usage (that of its
    own processes: CPU time, and the peak RSS of the largest) and the machine's one-minute load
    average just before and just after it (other work on the machine skews the figures)."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return wall, usage, load_before, os.getloadavg()[0]


def run_phase(args: list[str], env: dict) -> tuple[float, float, float, float]:
    """Run a child process; return its wall time (s), its own peak RSS (MB) and the load average before and after."""
    wall, usage, load_before, load_after = run_child(args, env)
    return wall, usage.ru_maxrss / 1024, load_before, load_after


def reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        conn.execute(
            "TRUNCATE roster_schoolimportresult, roster_importrun, licenses_seat, licenses_grouplink, "
            "roster_pupil_subgroups, roster_pupil, roster_appointment_groups, roster_appointmentrole, "
            "roster_appointment, roster_staff, roster_group, roster_school RESTART IDENTITY CASCADE"
        )
        conn.execute("VACUUM ANALYZE")


def database_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def copy_database(url: str, source: str | None, target: str) -> None:
    """Replace the database ``target`` by a copy of ``source`` (None: only drop it)."""
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        if source:
            # An exact copy, its planner statistics included.
            conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def write_report(lines: list[str], heading: str = SECTION) -> None:
    """Replace the section ``heading`` of docs/PERFORMANCE.md with ``lines``."""
    write_section(heading, heading + "\n\n" + "\n".join(lines))


def prepare_database(url: str) -> dict:
    """Create and migrate the benchmark database; return the environment of a ``manage.py`` on it."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_ENV": "development", "DEBUG": "false"}
    env.pop("REDIS_URL", None)
    ensure_database(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return env


def prepare_feed(feed: Path, scale: float) -> tuple[int, Path, Path, dict]:
    """The two nights' feeds for ``scale`` (generated once, then reused): schools, folders, row counts."""
    schools = max(1, round(NATIONAL_SCHOOLS * scale))
    first = feed / f"{schools}" / "night-1"
    second = feed / f"{schools}" / "night-2"
    started = time.perf_counter()
    counts = generate(first, schools)
    changes = second_night(first, second) if not (second / "instellingen.json").exists() else None
    print(f"Feed: {counts} in {time.perf_counter() - started:.0f} s; second night: {changes or 'reused'}")
    return schools, first, second, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the 6,057 schools (default 1).")
    parser.add_argument("--feed-dir", default=str(ROOT / "var" / "bench-feed"))
    parser.add_argument("--phase", choices=["baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--no-report", action="store_true", help="Print only; leave docs/PERFORMANCE.md alone.")
    parser.add_argument(
        "--hold-check",
        type=int,
        metavar="ROUNDS",
        help="Only the changed night (d), ROUNDS times with and without the held-night check "
        "(ROSTER_HOLD_ENABLED), alternating, each after a fresh import of the first night; prints the figures.",
    )
    args = parser.parse_args()
    feed = Path(args.feed_dir)
    if args.phase == "baseline":
        baseline(feed)
        return

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    env = prepare_database(url)
    schools, first, second, counts = prepare_feed(feed, args.scale)

    sync = [sys.executable, "manage.py", "sync_roster", "--source"]
    if args.hold_check:
        compare_hold_check(url, env, sync, first, second, args.hold_check, schools, counts)
        return
    phases = []
    reset(url)
    phases.append(
        (
            "(a) baseline: COPY + set-based merge, empty tables",
            *run_phase([sys.executable, __file__, "--phase", "baseline", "--feed-dir", str(first)], env),
        )
    )
    reset(url)
    phases.append(("(b) sync_roster, empty database", *run_phase([*sync, str(first)], env)))
    phases.append(("(c) sync_roster, night without changes", *run_phase([*sync, str(first)], env)))
    phases.append(("(d) sync_roster, 2 % moved/renamed, 1 % left, 1 % new", *run_phase([*sync, str(second)], env)))

    base = phases[0][1]
    targets = {"(b)": 2.0, "(c)": 0.3, "(d)": 1.0}
    ratio = {name[:3]: wall / base for name, wall, *_ in phases}
    lines = [
        f"`bench/roster_sync.py --scale {args.scale:g}` on {dt.date.today():%Y-%m-%d}: {schools:,} schools, "  # noqa: DTZ011
        f"{counts['pupils']:,} pupils, {counts['groups']:,} groups, {counts['staff']:,} staff "
        f"({counts['rows']:,} rows: schools, groups, pupils, staff and their appointments; every new pupil "
        f"also gets an encrypted login code); {os.cpu_count()} CPUs, PostgreSQL on the same machine.",
        "",
        f"**Empty database {ratio['(b)']:.2f}× the baseline (target ≤ 2×), changed night {ratio['(d)']:.2f}× "
        f"(target ≤ 1×), unchanged night {ratio['(c)']:.2f}× (target ≤ 0.3×)**, all in this one run.",
        "",
        "| phase | wall time | rows/s | peak RSS | × baseline | target | load average before → after |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, wall, rss, load_before, load_after in phases:
        target = targets.get(name[:3])
        lines.append(
            f"| {name} | {wall:.1f} s | {counts['rows'] / wall:,.0f} | {rss:.0f} MB | {wall / base:.2f} | "
            f"{f'≤ {target:g}×' if target else '–'} | {load_before:.2f} → {load_after:.2f} |"
        )
    lines += ["", "Load average: the machine's one-minute figure (`os.getloadavg`) just before and after each phase."]
    print("\n".join(lines))
    if not args.no_report:
        write_report(lines)


CHECK_LINE = re.compile(
    r"Held-night check of (\d+) schools: ([\d.]+) s wall, ([\d.]+) s CPU, (\d+) queries, (\d+) held"
)


def check_account(log: str) -> dict[str, float]:
    """The held-night check's own account, summed over the chunks of a night: what
    ``roster.importer.apply`` logs at DEBUG for each chunk it screens."""
    total = {"chunks": 0, "schools": 0, "wall": 0.0, "cpu": 0.0, "queries": 0, "held": 0}
    for match in CHECK_LINE.finditer(log):
        schools, wall, cpu, queries, held = match.groups()
        total["chunks"] += 1
        total["schools"] += int(schools)
        total["wall"] += float(wall)
        total["cpu"] += float(cpu)
        total["queries"] += int(queries)
        total["held"] += int(held)
    return total


def compare_hold_check(url, env, sync, first, second, rounds, schools, counts) -> None:
    """The changed night with and without the held-night check (roster.holds), alternating. Besides
    the wall time, the child's own CPU time (user + system), which other work on the machine skews
    less; and, in the runs with the check, the check's own account of its time and queries (logged
    at DEBUG per chunk, so both arms run with LOG_LEVEL=DEBUG), which does not depend on a second run."""
    runs: dict[str, list[tuple[float, float, float, float]]] = {"true": [], "false": []}
    accounts = []
    # The first night is imported once and copied for every changed night (a national first night
    # takes far longer than copying its database).
    snapshot = f"{url.rsplit('/', 1)[1]}_night_1"
    if not database_exists(url, snapshot):
        reset(url)
        run_phase([*sync, str(first)], env)
        copy_database(url, url.rsplit("/", 1)[1], snapshot)
    for _round in range(rounds):
        for enabled in ("true", "false"):
            copy_database(url, snapshot, url.rsplit("/", 1)[1])
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            with tempfile.TemporaryFile() as log:
                child = subprocess.Popen(
                    [*sync, str(second)],
                    cwd=ROOT,
                    env={**env, "ROSTER_HOLD_ENABLED": enabled, "LOG_LEVEL": "DEBUG"},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
                _, status, usage = os.wait4(child.pid, 0)
                wall = time.perf_counter() - started
                log.seek(0)
                account = check_account(log.read().decode("utf-8", "replace"))
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"the changed night failed (hold check {enabled})")
            cpu = usage.ru_utime + usage.ru_stime
            load_after = os.getloadavg()[0]
            runs[enabled].append((wall, cpu, load_before, load_after))
            state = "on" if enabled == "true" else "off"
            line = f"changed night, hold check {state}: {wall:.1f} s wall, {cpu:.1f} s CPU"
            if enabled == "true":
                accounts.append((wall, cpu, account))
                line += (
                    f"; the check: {account['chunks']} chunks, {account['wall']:.2f} s wall summed "
                    f"({100 * account['wall'] / wall:.2f} % of the night's wall), {account['cpu']:.2f} s CPU "
                    f"({100 * account['cpu'] / cpu:.2f} % of the night's CPU), {account['queries']} queries, "
                    f"{account['held']} held"
                )
            print(f"{line} (load {load_before:.2f} → {load_after:.2f})", flush=True)
    best = {key: (min(r[0] for r in rows), min(r[1] for r in rows)) for key, rows in runs.items()}
    (on_wall, on_cpu), (off_wall, off_cpu) = best["true"], best["false"]
    wall_change, cpu_change = 100 * (on_wall - off_wall) / off_wall, 100 * (on_cpu - off_cpu) / off_cpu
    print(
        f"{schools:,} schools, {counts['pupils']:,} pupils, changed night, best of {rounds}: "
        f"wall {on_wall:.1f} s with the hold check, {off_wall:.1f} s without ({wall_change:+.1f} %); "
        f"CPU of the import process {on_cpu:.1f} s with, {off_cpu:.1f} s without ({cpu_change:+.1f} %)"
    )
    copy_database(url, None, snapshot)
    worst_wall = max(100 * a["wall"] / wall for wall, _cpu, a in accounts)
    worst_cpu = max(100 * a["cpu"] / cpu for _wall, cpu, a in accounts)
    print(
        f"the check's own account, worst of {rounds}: {worst_wall:.2f} % of the night's wall (summed over "
        f"chunks, which run side by side: an upper bound), {worst_cpu:.2f} % of its CPU; "
        f"{max(a['queries'] for _w, _c, a in accounts)} queries of its own"
    )


if __name__ == "__main__":
    main()
