"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over large tables."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # Views set their own `ordering`; this is the fallback.
    ordering = "-id"

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

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"Results per page, at most {self.max_page_size}."
        return parameters
