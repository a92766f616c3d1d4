"""The roster import, in modules of one reason each.

- ``apply``: apply a chunk of schools' Basispoort documents to the database, all or nothing,
  with the same statements whatever the number of schools (plain tuples, ``roster.bulk``); the
  rows it reads first (``read_existing``) are what the held-night check compares with.
- ``sql``: the SQL helpers for model instances and the transaction's commit setting.
  The staff are ``staff``; what the steps share (result, text, pair tables) is ``rows``.
- ``run``: running an import: sources, chunks of schools, fan-out, and the record of every run.
- ``whole_run``: a whole run in this process (``sync_roster``), over forked processes on PostgreSQL.

The Redis lock that keeps two runs apart is ``roster.lock``. The names callers use are here.
"""

from roster.importer.apply import ApplyResult, apply_school_document, apply_school_documents, read_existing
from roster.importer.run import (
    ChunkSummary,
    SchoolOutcome,
    apply_chunk,
    close_failed,
    fail_unfinished,
    finish_if_done,
    import_schools,
    prepare_school,
    record_outcomes,
    stale_runs,
    start_run,
    write_chunk,
)
from roster.importer.sql import update_rows
from roster.importer.whole_run import sync_roster

__all__ = [
    "ApplyResult",
    "ChunkSummary",
    "SchoolOutcome",
    "apply_chunk",
    "apply_school_document",
    "apply_school_documents",
    "close_failed",
    "fail_unfinished",
    "finish_if_done",
    "import_schools",
    "prepare_school",
    "read_existing",
    "record_outcomes",
    "stale_runs",
    "start_run",
    "sync_roster",
    "update_rows",
    "write_chunk",
]
