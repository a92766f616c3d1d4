"""Every log record of the whole test run, kept in one file and read for ECK iDs.

tests/conftest.py installs ``record_every_record`` at the start of the run and reads ``RUN_LOG``
at its end; tests/test_eckid_never_shown.py reads the records of its own walk.
"""

from __future__ import annotations

import logging
import tempfile
import traceback
from pathlib import Path

# The sector's rule: an ECK iD never appears in a log line (docs/PRIVACY.md). Every record any
# logger of this process emits is written to one file — through the log-record factory, which
# every record passes whatever handlers, levels of handlers or logging configuration a test
# sets — and pytest_sessionfinish (tests/conftest.py) fails the run on any ECK iD in it, naming
# the lines.
ECKID_PREFIX = "ketenid.nl/201703/"
RUN_LOG = Path(tempfile.mkdtemp(prefix="bingel-run-log-")) / "records.txt"
PLAIN_FACTORY = logging.getLogRecordFactory()


def record_every_record(*args, **kwargs) -> logging.LogRecord:
    record = PLAIN_FACTORY(*args, **kwargs)
    try:
        text = record.getMessage()
    except Exception:
        text = f"{record.msg!r} % {record.args!r}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    with RUN_LOG.open("a", encoding="utf-8") as out:
        out.write(f"{record.name} {record.levelname} {text}\n")
    return record


def eckid_hits(text: str, eckids=()) -> list[str]:
    """Lines of ``text`` holding an ECK iD: its prefix anywhere, or the bare hex part of one of
    ``eckids`` (a bare hex word alone is also what request ids and digests look like, so it
    counts only for ECK iDs the caller knows)."""
    bare = {eckid.rsplit("/", 1)[-1].lower() for eckid in eckids}
    return [line for line in text.splitlines() if ECKID_PREFIX in line.lower() or any(b in line.lower() for b in bare)]
