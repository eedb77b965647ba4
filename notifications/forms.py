from __future__ import annotations

from django import forms

from supplierwatch.viewers import Viewer

from .models import BUYER_KINDS, SUPPLIER_KINDS, Kind, NotificationPreference


def kinds_for(viewer: Viewer) -> tuple[str, ...]:
    """The kinds of notification a person can get: their side's."""
    if viewer.is_supplier_staff:
        return SUPPLIER_KINDS
    if viewer.is_buyer:
        return BUYER_KINDS
    return ()


class PreferencesForm(forms.Form):
    """E-mail per kind of notification: immediately or never."""

    def __init__(self, *args: object, kinds: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind in kinds:
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=NotificationPreference.Delivery.choices,
                widget=forms.RadioSelect,
            )
