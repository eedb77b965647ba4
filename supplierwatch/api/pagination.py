"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over large tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from supplierwatch.errors import ApplicationError

_M = TypeVar("_M", bound=Model)
_R = TypeVar("_R")


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Views set their own `ordering`; this is the fallback.
    ordering: str | tuple[str, ...] = "-id"

    def get_page_size(self, request: Request) -> int:
        """The requested size, at most max_page_size; anything but a positive number is a 400."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: ["Not a positive number."]}
            )
        return min(int(value), self.max_page_size)

    def paginate_queryset(
        self, queryset: QuerySet[_M, _R] | Sequence[_R], request: Request, view: Any = None
    ) -> list[_R] | None:
        # A cursor is a position in the database's order: only a QuerySet is paged so.
        assert isinstance(queryset, QuerySet), "cursor pagination pages QuerySets"
        self._model: type[Model] = queryset.model
        # A list may be ordered by a value it computes (an annotation), not only by a column.
        self._computed: dict[str, Any] = dict(queryset.query.annotations)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of a `next` or `previous` link. One made up or damaged (not ours, or a
        position that is no value of the list's order) is refused naming `cursor` (a 422), not a
        404 or a database error."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is None or cursor.position is None:
            return cursor
        # DRF decodes the position as text; the stubs type Cursor.position as an int.
        position = self._position(cast(str, cursor.position))
        return cursor._replace(position=position)  # type: ignore[arg-type]  # text, as above

    def _position(self, position: str) -> str:
        ordering = self.ordering[0] if isinstance(self.ordering, list | tuple) else self.ordering
        name = ordering.lstrip("-")
        computed = getattr(self, "_computed", {}).get(name)
        field = computed.output_field if computed is not None else self._model._meta.get_field(name)
        if "\x00" in position:
            raise self._invalid()
        try:
            value = field.to_python(position)  # type: ignore[union-attr]
            if isinstance(value, datetime):
                # In UTC: an offset the database refuses (+20:00) or a year past 9999 is no cursor.
                value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise self._invalid() from None
        if value is None:
            raise self._invalid()
        return str(value)

    def _invalid(self) -> ApplicationError:
        # Any text is a cursor to the schema; one this API did not give out is a 422.
        return ApplicationError(
            "Not a valid cursor: follow the `next` and `previous` links.",
            field=self.cursor_query_param,
        )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"Results per page, at most {self.max_page_size}."
        return parameters
