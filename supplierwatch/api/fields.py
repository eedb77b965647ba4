"""Request fields that accept only the JSON type the schema promises.

DRF coerces: 40 is accepted for a string, "40" for an integer, "true" for a boolean. An API
described by an OpenAPI schema should refuse what the schema calls invalid, so the API's request
serializers use these instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supplierwatch.inputs import HTTP_URL_PATTERN

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # A mixin for DRF fields: to the type checker it is one.
    _FieldMixin = serializers.Field
else:
    _FieldMixin = object


class _StrictString(_FieldMixin):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


_NOT_A_STRING: dict[str, StrOrPromise] = {"not_a_string": "Not a valid string."}


class CharField(_StrictString, serializers.CharField):
    default_error_messages = _NOT_A_STRING


class SlugField(_StrictString, serializers.SlugField):
    default_error_messages = _NOT_A_STRING


class RegexField(_StrictString, serializers.RegexField):
    default_error_messages = _NOT_A_STRING


class URLField(_StrictString, serializers.URLField):
    default_error_messages = _NOT_A_STRING


# What an http(s) address looks like to the schema (supplierwatch.inputs.HTTP_URL_PATTERN);
# whether it is usable (a host, no private network, ...) is the service's rule, and a refusal
# there is a 422 naming the field.


@extend_schema_field({"type": "string", "pattern": HTTP_URL_PATTERN})
class HttpURLField(_StrictString, serializers.RegexField):
    default_error_messages = {
        **_NOT_A_STRING,
        "invalid": "Enter an http(s) address (http://... or https://...).",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(HTTP_URL_PATTERN, **kwargs)


@extend_schema_field({"type": "string", "format": "date-time"})
class IsoDateTimeField(_StrictString, serializers.CharField):
    """An ISO 8601 date and time, as text: the shape is checked here (400), what time it may be
    (the years we store, an offset's conversion to UTC) by the service's input rule (422)."""

    default_error_messages = {
        **_NOT_A_STRING,
        "invalid": "Not an ISO 8601 date and time, such as 2026-11-20T08:00:00Z.",
    }

    def to_internal_value(self, data: Any) -> str:
        text = str(super().to_internal_value(data))
        try:
            datetime.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        return text


@extend_schema_field({"type": "string", "format": "date"})
class IsoDateField(_StrictString, serializers.CharField):
    """A date (2026-12-24), as text: the shape is checked here (400), which dates may be stored by
    the service's input rule (422)."""

    default_error_messages = {
        **_NOT_A_STRING,
        "invalid": "Not a date, such as 2026-12-24.",
    }

    def to_internal_value(self, data: Any) -> str:
        text = str(super().to_internal_value(data))
        try:
            date.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        return text


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
