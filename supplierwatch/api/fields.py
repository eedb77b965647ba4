"""Request fields that accept only the JSON type the schema promises.

DRF coerces: 40 is accepted for a string, "40" for an integer, "true" for a boolean. An API
described by an OpenAPI schema should refuse what the schema calls invalid, so the API's request
serializers use these instead.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class _StrictString:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


_NOT_A_STRING = {"not_a_string": "Not a valid string."}


class CharField(_StrictString, serializers.CharField):
    default_error_messages = _NOT_A_STRING


class SlugField(_StrictString, serializers.SlugField):
    default_error_messages = _NOT_A_STRING


class RegexField(_StrictString, serializers.RegexField):
    default_error_messages = _NOT_A_STRING


class URLField(_StrictString, serializers.URLField):
    default_error_messages = _NOT_A_STRING


class EmailField(_StrictString, serializers.EmailField):
    default_error_messages = _NOT_A_STRING


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
