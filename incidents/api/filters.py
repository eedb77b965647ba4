"""Query parameters of the API's lists and the export (django-filter; invalid values answer 400)."""

from __future__ import annotations

from collections.abc import Sequence

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from supplierwatch.inputs import clean_time
from supplierwatch.viewers import viewer_of

from ..models import Incident, Post, Severity, to_the_hour
from ..selectors.search import (
    followed_by,
    matching_text,
    of_suppliers_with_codes,
    reported_by_organization,
)
from .serializers import SEVERITIES


class StrictFilterSet(django_filters.FilterSet):
    """An empty parameter (`status=`) is a mistake, not "no filter": it is refused with a 400, like
    any value outside the documented ones."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            values = self.data.getlist(name) if name in self.data else []
            if "" in values:
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
            elif any("\x00" in value for value in values):
                # The database refuses NUL in text; a 400 rather than its error.
                self.form.add_error(name, "Contains a NUL character.")
                valid = False
        return valid


# A yes/no parameter's values: a boolean as the schema writes it in a query string.
YES_NO = {"true": True, "false": False}


class YesNoField(forms.Field):
    """`true` or `false`, read as they were sent (django-filter's BooleanFilter reads any other
    value as "no filter", which would answer a misspelt filter with everything)."""

    widget = forms.TextInput

    def to_python(self, value: object) -> bool | None:
        if value in (None, ""):
            return None  # left out (an empty value is StrictFilterSet's refusal)
        if value not in YES_NO:
            raise forms.ValidationError("Use true or false.", code="invalid")
        return YES_NO[value]


class YesNoFilter(django_filters.BooleanFilter):
    """Every yes/no filter of the API's lists: `true` or `false`, any other value a 400 naming the
    parameter. The schema says boolean from its method's `value: bool`."""

    field_class = YesNoField


class IncidentFilter(StrictFilterSet):
    supplier = django_filters.CharFilter(
        field_name="supplier__slug", help_text="The supplier's slug."
    )
    vendor_code = django_filters.CharFilter(
        method="filter_vendor_code",
        help_text="Your organization's vendor code for the supplier (buyer keys only).",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Incident.Status.choices, help_text="Repeat for several: status=new&status=reopened."
    )
    severity = django_filters.MultipleChoiceFilter(
        choices=[(name, name) for name in SEVERITIES], method="filter_severity"
    )
    category = django_filters.CharFilter(
        field_name="category__slug", help_text="The category's slug."
    )
    updated_since = django_filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Incidents changed at or after the start of this time's hour (ISO 8601): "
        "incident times are given to the hour. Pass the latest `last_activity_at` you saw, or "
        "the start of your last sync; you may see that hour's incidents again, never miss one.",
    )

    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Words of the title or of evidence your key may read (full-text search on "
        "PostgreSQL), or a lot or SKU; for buyer keys also a PO number of your own reports.",
    )
    reported_by_us = YesNoFilter(
        method="filter_reported_by_us",
        help_text="Only incidents with reports of your organization (buyer keys only).",
    )
    followed = YesNoFilter(
        method="filter_followed", help_text="Only incidents the key's user follows."
    )
    my_suppliers = YesNoFilter(
        method="filter_my_suppliers",
        help_text="Only incidents of suppliers your organization has a vendor code for.",
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    # The list pages' filters, said once in selectors.search.

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return matching_text(queryset, viewer=viewer_of(self._user()), text=value)

    def filter_reported_by_us(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        organization_id = viewer_of(self._user()).organization_id
        if organization_id is None:
            return queryset.none()
        return reported_by_organization(queryset, organization_id)

    def filter_followed(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        user_id = viewer_of(self._user()).user_id
        return queryset.none() if user_id is None else followed_by(queryset, user_id)

    def filter_my_suppliers(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        organization_id = viewer_of(self._user()).organization_id
        if organization_id is None:
            return queryset.none()
        return of_suppliers_with_codes(queryset, organization_id)

    def _user(self) -> object:
        return getattr(self.request, "user", None)

    def filter_vendor_code(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        viewer = viewer_of(getattr(self.request, "user", None))
        if not viewer.is_buyer:
            return queryset.none()
        return queryset.filter(
            supplier__vendor_codes__organization_id=viewer.organization_id,
            supplier__vendor_codes__code=value,
        )

    def filter_severity(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(severity__in=[Severity.from_slug(item).value for item in value])

    def filter_updated_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # The one rule for times (UTC, the years we store); PostgreSQL refuses offsets beyond
        # ±16 h, which ISO 8601 allows.
        value = clean_time(value, name, stored=False)
        if not Incident.shows_exact_times_to(viewer_of(getattr(self.request, "user", None))):
            # Compared as shown, to the hour, so probing with times between two whole hours
            # finds out nothing finer: a shown time (to the hour) at or after the hour of
            # `value` is an exact time at or after that hour. Inclusive on the hour, a sync
            # that passes the time it last saw, or the time it last ran, never misses a change.
            value = to_the_hour(value)
        # Counters and severity are written in bulk without touching updated_at; every change
        # that matters moves last_activity_at, so either one counts.
        return queryset.filter(Q(updated_at__gte=value) | Q(last_activity_at__gte=value))


class ReportFilter(StrictFilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__slug")
    status = django_filters.ChoiceFilter(choices=Post.Status.choices)
    visibility = django_filters.ChoiceFilter(
        choices=[(value, value) for value in ("private", "anonymous", "named")]
    )

    class Meta:
        model = Post
        fields: list[str] = []


class StrictOrderingFilter(OrderingFilter):
    """One of the documented orderings, or a 400: an unknown one is not silently ignored."""

    def get_ordering(self, request, queryset, view) -> Sequence[str] | None:
        value = request.query_params.get(self.ordering_param)
        if value is not None:
            fields = [value.strip()]
            if "," in value or not self.remove_invalid_fields(queryset, fields, view, request):
                allowed = ", ".join(
                    f"{sign}{field}" for field in view.ordering_fields for sign in ("", "-")
                )
                raise serializers.ValidationError(
                    {self.ordering_param: [f"Choose one of: {allowed}."]}
                )
        return self.shown(super().get_ordering(request, queryset, view), queryset)

    @staticmethod
    def shown(ordering: Sequence[str] | None, queryset: QuerySet) -> Sequence[str] | None:
        """A documented ordering as the list orders: by `shown_<field>` where the selector
        annotates the time the viewer is shown (selectors.incident_list), so neither the order
        nor a cursor dates anything more exactly than the rows do; then by id, the same way, so
        that rows shown with the same time keep one order from page to page."""
        if not ordering:
            return ordering
        shown = []
        for term in ordering:
            sign, name = ("-", term[1:]) if term.startswith("-") else ("", term)
            annotated = f"shown_{name}" in queryset.query.annotations
            shown.append(f"{sign}shown_{name}" if annotated else term)
        tiebreak = "-id" if shown[0].startswith("-") else "id"
        return [*shown, tiebreak] if tiebreak.lstrip("-") not in shown else shown
