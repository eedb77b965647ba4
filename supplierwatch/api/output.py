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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField

# Fields whose to_representation is exactly this builtin applied to a non-None value.
_BUILTIN_CONVERSIONS: dict[Callable[..., Any], Callable[[Any], Any]] = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
}


def _conversion(field: serializers.Field) -> Callable[[Any], Any]:
    method = type(field).to_representation
    return _BUILTIN_CONVERSIONS.get(method) or field.to_representation


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

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
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
