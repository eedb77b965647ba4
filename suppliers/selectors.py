"""Reads about suppliers that other parts of the product share."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, QuerySet

from .models import Supplier, SupplierAlias, VendorCode


def alias_version() -> str:
    """A version of everything the matcher is built from; any alias or supplier edit changes it.

    Derived from the rows themselves (counts catch deletions, timestamps catch edits), so no
    code path that writes aliases (admin, import, API, bulk update) can forget to bump it.
    """
    aliases = SupplierAlias.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    suppliers = Supplier.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return (
        f"{aliases['n']}:{aliases['changed'] and aliases['changed'].timestamp()}:"
        f"{suppliers['n']}:{suppliers['changed'] and suppliers['changed'].timestamp()}"
    )


def supplier_search(*, query: str, organization_id: int | None = None) -> QuerySet[Supplier]:
    """Suppliers whose name or alias contains the query, or whose vendor code (of this org) is it."""
    # NUL cannot be part of a PostgreSQL string; nobody types it on purpose.
    query = query.replace("\x00", "").strip()
    suppliers = Supplier.objects.all()
    if not query:
        return suppliers
    by_text = Supplier.objects.filter(name__icontains=query) | Supplier.objects.filter(
        aliases__text__icontains=query
    )
    ids = set(by_text.values_list("id", flat=True))
    if organization_id is not None:
        ids |= set(
            VendorCode.objects.filter(
                organization_id=organization_id, code__iexact=query
            ).values_list("supplier_id", flat=True)
        )
    return suppliers.filter(id__in=ids)


def supplier_directory(
    *, organization_id: int | None, supplier_id: int | None, query: str = ""
) -> QuerySet[Supplier]:
    """The suppliers a party may look up, with their aliases and the organization's vendor codes.

    A buyer organization sees every supplier (they are shared), each with `own_vendor_codes`;
    a supplier sees only itself. With neither (an operator), every supplier, without codes.
    """
    suppliers = supplier_search(query=query, organization_id=organization_id)
    if supplier_id is not None:
        suppliers = suppliers.filter(pk=supplier_id)
    codes = VendorCode.objects.filter(organization_id=organization_id).order_by("code")
    return suppliers.prefetch_related(
        "aliases", Prefetch("vendor_codes", queryset=codes, to_attr="own_vendor_codes")
    )
