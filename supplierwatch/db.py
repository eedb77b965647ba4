"""Database helpers the ORM lacks."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def bulk_update_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    batch_size: int = 500,
) -> None:
    """Write `fields` of many rows, each with its own values, in one statement per batch.

    QuerySet.bulk_update builds one CASE WHEN per field and row, which costs far more in Python
    than in the database; a join against a VALUES list does the same work with one placeholder
    per value. Works on PostgreSQL and on SQLite 3.33 or newer (UPDATE ... FROM).
    """
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # VALUES has no column types of its own; NULLs would otherwise be text.
        placeholders = [f"%s::{field.db_type(connection)}" for field in columns]
    else:
        placeholders = ["%s"] * len(columns)
    row_sql = "(" + ", ".join(placeholders) + ")"
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    names = ", ".join(quote(field.column) for field in columns)
    assignments = ", ".join(
        f"{quote(field.column)} = v.{quote(field.column)}" for field in columns[1:]
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection=connection)
                for obj in chunk
                for field in columns
            ]
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608 - identifiers are the model's own
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{pk}",
                params,
            )
