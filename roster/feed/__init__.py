"""The Basispoort roster feed, all of it: what a school's documents are and where they come from
(``documents``, ``sources``), the one definition of their shape (``shape``, from which
``roster.schema.json`` is generated), what checking them can find (``problems``) and the check
itself (``validation``). The importer (``roster.importer``) only applies what passed.

The documents' types are re-exported here, so ``from roster.feed import SchoolDocument`` reads as
what it is.
"""

from roster.feed.documents import (
    PERMISSION_KINDS,
    FolderSource,
    RawSchool,
    SchoolDocument,
    Source,
    SourceError,
    TransientSourceError,
    permission_ids,
    write_folder,
    write_school,
)

__all__ = [
    "PERMISSION_KINDS",
    "FolderSource",
    "RawSchool",
    "SchoolDocument",
    "Source",
    "SourceError",
    "TransientSourceError",
    "permission_ids",
    "write_folder",
    "write_school",
]
