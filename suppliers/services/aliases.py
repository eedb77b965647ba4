"""Aliases: the ways of naming a supplier that matching looks for in every post of every buyer.

Who changes what everyone's matching sees (DESIGN.md): operators, and a supplier's own staff for
their supplier, whose aliases are active at once. A buyer organization proposes an alias: it helps
the organization's own search and forms at once, and reaches matching only when an operator
approves it. Whoever adds it, an alias that would match everyday text or that already names
another supplier is refused (suppliers.inputs.clean_alias).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import ALIAS, NAME, clean_alias, clean_alias_kind
from ..models import Supplier, SupplierAlias, SupplierAliasQuerySet, User, VendorCode
from ..selectors import supplier_named_by

ADD_REFUSAL = (
    "Add aliases to your own supplier, or propose them for suppliers your organization has a "
    "vendor code for."
)
REVIEW_REFUSAL = "Only operators approve or reject aliases."
ACTIVE = SupplierAlias.State.ACTIVE


def supplier_alias_clean(
    *, supplier_id: int | None, kind: str, text: Any, field: str = "text"
) -> str:
    """The alias rule (inputs.clean_alias) with the suppliers it must not take a name from: what
    adding, approving and the admin's form apply."""
    return clean_alias(
        kind,
        text,
        field,
        names_other_supplier=lambda cleaned: supplier_named_by(
            text=cleaned, kind=kind, other_than=supplier_id
        ),
    )


def _state_of_new_alias(actor: User, supplier: Supplier) -> tuple[str, int | None]:
    """(state, proposing organization) of an alias that this actor adds to this supplier."""
    viewer = viewer_of(actor)
    if viewer.is_operator or (viewer.is_supplier_staff and viewer.supplier_id == supplier.pk):
        return ACTIVE, None
    organization_id = viewer.organization_id
    # A buyer organization knows a supplier it has a vendor code for from its own purchasing.
    if (
        viewer.is_buyer
        and organization_id is not None
        and VendorCode.objects.filter(organization_id=organization_id, supplier=supplier).exists()
    ):
        return SupplierAlias.State.PROPOSED, organization_id
    raise ApplicationError(ADD_REFUSAL, code="permission_denied")


def _known(same: SupplierAliasQuerySet, organization_id: int | None) -> SupplierAlias | None:
    """The active alias among `same`, else the organization's own proposal of it."""
    found = same.active().first()
    if found is None and organization_id is not None:
        found = same.filter(proposed_by_id=organization_id).first()
    return found


@transaction.atomic
def supplier_alias_add(
    *, actor: User, supplier: Supplier, kind: str, text: str
) -> tuple[SupplierAlias, bool]:
    """(alias, created): add a way of naming the supplier, or find the one that already is it.

    An operator's or the supplier's own staff's alias is active: the matcher picks it up through
    alias_version. A buyer organization's is proposed (its `state` says so), and the same alias
    already active is the one it gets. Another organization's proposal of the same alias stays
    that organization's: each sees only its own. Ambiguity is left to automatic detection.
    """
    state, organization_id = _state_of_new_alias(actor, supplier)
    kind = clean_alias_kind(kind)
    text = supplier_alias_clean(supplier_id=supplier.pk, kind=kind, text=text)
    kinds = [kind, NAME] if kind == ALIAS else [kind]
    same = SupplierAlias.objects.filter(supplier=supplier, kind__in=kinds, text__iexact=text)
    existing = _known(same, organization_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            alias = SupplierAlias.objects.create(
                supplier=supplier,
                kind=kind,
                text=text,
                state=state,
                proposed_by_id=organization_id,
            )
    except IntegrityError:
        # A concurrent request added it meanwhile.
        existing = _known(same, organization_id)
        if existing is None:
            raise
        return existing, False
    if state == ACTIVE:
        # Organizations' proposals of this alias are served by it now.
        SupplierAlias.objects.same_as(alias).proposals().delete()
    return alias, True


def _review_check(actor: User) -> None:
    if not viewer_of(actor).is_operator:
        raise ApplicationError(REVIEW_REFUSAL, code="permission_denied")


@transaction.atomic
def supplier_alias_approve(*, alias: SupplierAlias, actor: User) -> SupplierAlias:
    """An operator lets a proposed (or rejected) alias into everyone's matching, and every
    worker's matcher rebuilds (alias_version). Refused when the alias rule refuses it now: another
    supplier may have taken the alias since it was proposed. Other organizations' proposals of
    the same alias go, as this one serves them. Returns the active alias."""
    _review_check(actor)
    alias = SupplierAlias.objects.select_for_update().get(pk=alias.pk)
    if alias.state == ACTIVE:
        return alias
    supplier_alias_clean(supplier_id=alias.supplier_id, kind=alias.kind, text=alias.text)
    active = SupplierAlias.objects.active().same_as(alias).first()
    if active is None:
        alias.state = ACTIVE
        alias.reviewed_by = actor
        alias.reviewed_at = timezone.now()
        alias.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
        active = alias
    SupplierAlias.objects.same_as(active).proposals().delete()
    return active


@transaction.atomic
def supplier_alias_reject(*, alias: SupplierAlias, actor: User) -> SupplierAlias:
    """An operator keeps an alias out of everyone's matching (an active one leaves it, and the
    matcher rebuilds). A buyer's proposal stays its organization's own, for its own search and
    forms, and proposing it again finds it rejected."""
    _review_check(actor)
    alias = SupplierAlias.objects.select_for_update().get(pk=alias.pk)
    if alias.state != SupplierAlias.State.REJECTED:
        alias.state = SupplierAlias.State.REJECTED
        alias.reviewed_by = actor
        alias.reviewed_at = timezone.now()
        alias.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
    return alias
