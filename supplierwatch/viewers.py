"""Who is looking: a person, an API key's party or a webhook subscriber's party, as one value.

`visible_to` (which rows) and the presenters (what of a row) take a Viewer, so every channel asks
the same question the same way, and a webhook subscriber is a party rather than a made-up user.
A person's Viewer comes from their membership (suppliers.models.User.viewer); this module is plain
Python and knows no model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    OPERATOR = "operator"
    BUYER = "buyer"
    SUPPLIER = "supplier"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class Viewer:
    kind: Kind
    organization_id: int | None = None
    supplier_id: int | None = None
    # A supplier's staff who answer incidents (responders and admins), and operators.
    may_act: bool = False
    # An admin of its party: manages its team and its API keys.
    is_admin: bool = False
    # The person, when the viewer is one (None for a webhook subscriber's party).
    user_id: int | None = None

    @classmethod
    def nobody(cls) -> Viewer:
        return cls(Kind.NOBODY)

    @classmethod
    def operator(cls, *, user_id: int | None = None) -> Viewer:
        return cls(Kind.OPERATOR, may_act=True, user_id=user_id)

    @classmethod
    def party(cls, *, organization_id: int | None = None, supplier_id: int | None = None) -> Viewer:
        """A party as such (a webhook subscriber): it sees what any of its members sees."""
        if (organization_id is None) == (supplier_id is None):
            raise ValueError("a party is one organization or one supplier")
        if organization_id is not None:
            return cls(Kind.BUYER, organization_id=organization_id)
        return cls(Kind.SUPPLIER, supplier_id=supplier_id)

    @property
    def is_operator(self) -> bool:
        return self.kind is Kind.OPERATOR

    @property
    def is_buyer(self) -> bool:
        return self.kind is Kind.BUYER

    @property
    def is_supplier_staff(self) -> bool:
        return self.kind is Kind.SUPPLIER

    @property
    def sees_supplier_side(self) -> bool:
        """A supplier's own staff and operators see the supplier's internals: who is assigned,
        who answered."""
        return self.kind in (Kind.OPERATOR, Kind.SUPPLIER)

    def may_act_for(self, supplier_id: int) -> bool:
        """May this viewer act on the incidents of this supplier (acknowledge, answer, resolve...)?"""
        if self.is_operator:
            return True
        return self.is_supplier_staff and self.supplier_id == supplier_id and self.may_act

    @property
    def is_read_only(self) -> bool:
        """A supplier's viewers read and never write, in the product and through the API."""
        return self.is_supplier_staff and not self.may_act


class _HasViewer(Protocol):
    @property
    def viewer(self) -> Viewer: ...


def viewer_of(who: Viewer | _HasViewer | object | None) -> Viewer:
    """The Viewer of a person (anything with a `viewer`), or the Viewer itself; nobody otherwise
    (the anonymous visitor, None)."""
    if isinstance(who, Viewer):
        return who
    viewer = getattr(who, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else Viewer.nobody()
