from __future__ import annotations

from django import forms

from supplierwatch.forms import Form
from supplierwatch.viewers import Viewer

from .inputs import time_zones
from .models import BUYER_KINDS, SUPPLIER_KINDS, Kind, NotificationPreference


def kinds_for(viewer: Viewer) -> tuple[str, ...]:
    """The kinds of notification a person can get: their side's."""
    if viewer.is_supplier_staff:
        return SUPPLIER_KINDS
    if viewer.is_buyer:
        return BUYER_KINDS
    return ()


HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class PreferencesForm(Form):
    """E-mail per kind of notification (immediately, in a daily digest or never), and when the
    digest goes out. Only shapes the input: the services validate it (notifications.inputs)."""

    hour = forms.TypedChoiceField(label="Daily digest at", choices=HOURS, coerce=int)
    time_zone = forms.CharField(label="in the time zone", max_length=64)

    def __init__(self, *args: object, kinds: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.fields["time_zone"].widget = forms.Select(choices=[(z, z) for z in time_zones()])
        for kind in kinds:
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=NotificationPreference.Delivery.choices,
                widget=forms.RadioSelect,
            )

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[kind] for kind in self.kinds]
