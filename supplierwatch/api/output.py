"""Output serializers at a lower cost per field.

A page of the incident list is some 50 incidents of 30 fields, each with eight 8D disciplines:
thousands of fields. DRF's `Serializer.to_representation` pays for every one of them on every
object: a generator over the fields, `Field.get_attribute` (a loop over the source's parts, a
Mapping check, a callable check, exception handling), then the field's own conversion. Most of
the presenters' fields are plain attributes, so `OutputSerializer` works out once per serializer
instance (a `many=True` child serves every item) which fields are, and reads those with a plain
`getattr`. Everything else (a dotted or `*` source, a method field, a related field, a Mapping
instance, a callable attribute, a missing attribute) takes DRF's own path, so the JSON is DRF's:
the same keys in the same order, each value converted by its field's `to_representation`
(integers and strings by `int` and `str`, which is what those fields do). The schema is unchanged:
it is built from the same fields.

The conversions of the other common fields are DRF's too, with what DRF works out per value done
once per serializer: a boolean is itself; a choice is looked up; a date or an aware time in ISO
8601 (a UTC time ending in "Z") in the time zone that was current when the serializer first wrote
(the product never activates another: settings.TIME_ZONE). Any other value takes the field's own
`to_representation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

# Fields whose to_representation is exactly this builtin applied to a non-None value.
_BUILTIN_CONVERSIONS: dict[Callable[..., Any], Callable[[Any], Any]] = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
}


def _conversion(field: serializers.Field) -> Callable[[Any], Any]:
    method = type(field).to_representation
    builtin = _BUILTIN_CONVERSIONS.get(method)
    if builtin is not None:
        return builtin
    slow = field.to_representation
    if method is serializers.BooleanField.to_representation:
        return lambda value: value if value is True or value is False else slow(value)
    if method is serializers.ChoiceField.to_representation:
        choices = field.choice_strings_to_values  # type: ignore[attr-defined]
        return lambda value: choices.get(value, value) if type(value) is str else slow(value)
    if method is serializers.DateField.to_representation and _iso(field, api_settings.DATE_FORMAT):
        return lambda value: value.isoformat() if type(value) is dt.date else slow(value)
    if (
        method is serializers.DateTimeField.to_representation
        and _iso(field, api_settings.DATETIME_FORMAT)
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    ):
        return _iso_datetime(timezone.get_current_timezone(), slow)
    return slow


def _iso(field: serializers.Field, default_format: str | None) -> bool:
    output_format = getattr(field, "format", default_format)
    return isinstance(output_format, str) and output_format.lower() == ISO_8601


def _iso_datetime(zone: dt.tzinfo, slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """DateTimeField.to_representation of an aware datetime, its time zone looked up once."""

    def convert(value: Any) -> Any:
        if type(value) is not dt.datetime or value.utcoffset() is None:
            return slow(value)
        try:
            shown = value.astimezone(zone).isoformat()
        except OverflowError:
            return slow(value)  # DRF's error
        return shown[:-6] + "Z" if shown.endswith("+00:00") else shown

    return convert


class OutputSerializer(serializers.Serializer):
    """A Serializer for output whose plain-attribute fields skip DRF's per-field lookup."""

    @cached_property
    def _output_plan(
        self,
    ) -> list[tuple[serializers.Field, str, str | None, Callable[[Any], Any]]]:
        """(field, its key, the attribute to read directly or None for DRF's path, its
        conversion)."""
        plan = []
        for field in self._readable_fields:
            attrs = field.source_attrs
            direct = len(attrs) == 1 and not isinstance(
                field, serializers.SerializerMethodField | RelatedField
            )
            plan.append(
                (field, field.field_name or "", attrs[0] if direct else None, _conversion(field))
            )
        return plan

    @cached_property
    def _written(self) -> dict[int, tuple[Any, dict[str, Any]]]:
        """The JSON of each frozen view written so far, by the view's id (the view is kept with
        it, so that the id is not reused)."""
        return {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
        if not _is_frozen(type(instance)):
            return self._represent(instance)
        # A page shares one frozen view among its rows (the 8D disciplines never started, in
        # every incident): written once, copied after.
        written = self._written.get(id(instance))
        if written is None:
            written = self._written[id(instance)] = (instance, self._represent(instance))
        return dict(written[1])

    def _represent(self, instance: Any) -> dict[str, Any]:
        ret: dict[str, Any] = {}
        for field, name, attr, convert in self._output_plan:
            if attr is not None:
                value = getattr(instance, attr, _MISSING)
                if value is None:
                    ret[name] = None
                    continue
                if value is not _MISSING and not callable(value):
                    ret[name] = convert(value)
                    continue
            # DRF's path: defaults, skipped fields, callables, dotted sources, related fields.
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        return ret


_MISSING = object()
_FROZEN: dict[type, bool] = {}


def _is_frozen(cls: type) -> bool:
    """Whether `cls` is a frozen dataclass (whose instances a serialization never sees change)."""
    frozen = _FROZEN.get(cls)
    if frozen is None:
        params = getattr(cls, "__dataclass_params__", None)
        frozen = _FROZEN[cls] = bool(params is not None and params.frozen)
    return frozen
