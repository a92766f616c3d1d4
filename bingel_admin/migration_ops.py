"""Migration operations for what the ORM cannot declare."""

from __future__ import annotations

from django.db import migrations


class CompositeForeignKey(migrations.operations.base.Operation):
    """A PostgreSQL foreign key over several columns, e.g. (pupil_id, school_id).

    Django 5.2 has no composite foreign keys. Link tables carry a copy of ``school_id`` (and
    of the licence kind) so that the database itself refuses a link that crosses schools or
    sits on the wrong kind of licence. SQLite, used only for the local demo, skips this.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, name: str, columns: list[str], ref_table: str, ref_columns: list[str]):
        self.table = table
        self.name = name
        self.columns = columns
        self.ref_table = ref_table
        self.ref_columns = ref_columns

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {quote(self.table)} ADD CONSTRAINT {quote(self.name)} "
            f"FOREIGN KEY ({', '.join(map(quote, self.columns))}) "
            f"REFERENCES {quote(self.ref_table)} ({', '.join(map(quote, self.ref_columns))}) "
            "DEFERRABLE INITIALLY DEFERRED"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {quote(self.table)} DROP CONSTRAINT {quote(self.name)}")

    def describe(self) -> str:
        return f"Composite foreign key {self.name} on {self.table}"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {
                "table": self.table,
                "name": self.name,
                "columns": self.columns,
                "ref_table": self.ref_table,
                "ref_columns": self.ref_columns,
            },
        )
