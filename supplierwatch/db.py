"""Database helpers the ORM lacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, connections, models, router

# Database errors that a task retries: the connection dropped or the server was briefly away.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def bulk_update_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    batch_size: int = 500,
) -> None:
    """Write `fields` of many rows, each with its own values, in one statement per batch.

    QuerySet.bulk_update builds one CASE WHEN per field and row, which costs far more in Python
    than in the database. On PostgreSQL the new values are streamed with COPY into a temporary
    table and joined in one UPDATE; elsewhere (SQLite 3.33+) a join against a VALUES list does
    the same with one placeholder per value.
    """
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.pk, *(_stored_field(model, name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    quoted = [quote(_column(model, field)) for field in columns]
    pk = quoted[0]
    names = ", ".join(quoted)
    assignments = ", ".join(f"{column} = v.{column}" for column in quoted[1:])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _update_by_copy(cursor, connection, objs, columns, table, pk, names, assignments)
            return
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
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


def bulk_insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert many new rows whose ids the caller does not need back (they are not set on `objs`).

    On PostgreSQL the rows are streamed with COPY straight into the table: bulk_create's one
    placeholder per value costs more in Python, building and sending the statement, than the
    database spends storing the rows. Elsewhere it is bulk_create.
    """
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(model, field)) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row(
                [
                    # pre_save: what an INSERT would store (auto_now_add times included).
                    field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                    for field in fields
                ]
            )


def _stored_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field `name` of `model`, which must be stored in the model's own table."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model._meta.label}.{name} is a reverse relation, not a column")
    return field


def _column(model: type[models.Model], field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise ValueError(f"{model._meta.label}.{field.name} has no column")
    return field.column


def _update_by_copy(cursor, connection, objs, columns, table, pk, names, assignments) -> None:
    temp = "sw_bulk_update"
    # Same column types as the target: COPY then converts each value exactly as an INSERT would.
    cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    cursor.execute(f"CREATE TEMP TABLE {temp} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
    with cursor.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row(
                [
                    field.get_db_prep_save(getattr(obj, field.attname), connection=connection)
                    for field in columns
                ]
            )
    cursor.execute(
        f"UPDATE {table} SET {assignments} FROM {temp} AS v WHERE {table}.{pk} = v.{pk}"  # noqa: S608
    )
    cursor.execute(f"DROP TABLE {temp}")
