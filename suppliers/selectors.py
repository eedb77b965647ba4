"""Reads about suppliers that other parts of the product share."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from supplierwatch.errors import ApplicationError
from supplierwatch.inputs import InputError

from .inputs import HASHTAG, NAME_LIKE, clean_search
from .models import Supplier, SupplierAlias, VendorCode


def alias_version() -> str:
    """A version of everything the matcher is built from; any active alias or supplier edit
    changes it (a proposal does not: matching does not read it until it is approved).

    Derived from the rows themselves (counts catch deletions and approvals, timestamps catch
    edits), so no code path that writes aliases (admin, import, API, bulk update) can forget to
    bump it.
    """
    aliases = SupplierAlias.objects.active().aggregate(n=Count("id"), changed=Max("updated_at"))
    suppliers = Supplier.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return (
        f"{aliases['n']}:{aliases['changed'] and aliases['changed'].timestamp()}:"
        f"{suppliers['n']}:{suppliers['changed'] and suppliers['changed'].timestamp()}"
    )


def supplier_named_by(*, text: str, kind: str, other_than: int | None) -> str | None:
    """The name of a supplier other than `other_than` that `text` (an alias of this kind)
    already names: its name, or one of its active aliases. A word and the hashtag of that word
    name the same supplier, since words are matched inside hashtags too."""
    spellings = {text}
    if kind == HASHTAG:
        spellings.add(text.removeprefix("#"))
    elif kind in NAME_LIKE:
        spellings.add(f"#{text}")
    same_text = Q()
    same_name = Q()
    for spelling in spellings:
        same_text |= Q(text__iexact=spelling)
        same_name |= Q(name__iexact=spelling)
    others = Supplier.objects.exclude(pk=other_than) if other_than else Supplier.objects.all()
    named = others.filter(
        same_name | Q(pk__in=SupplierAlias.objects.active().filter(same_text).values("supplier_id"))
    )
    return named.order_by("name").values_list("name", flat=True).first()


def supplier_search(*, query: str, organization_id: int | None = None) -> QuerySet[Supplier]:
    """Suppliers whose name or alias (SupplierAlias.objects.known_to the organization) contains
    the query, or whose vendor code (of this organization) is it. A query the search rule
    refuses (inputs.clean_search) raises its InputError."""
    query = clean_search(query)
    suppliers = Supplier.objects.all()
    if not query:
        return suppliers
    aliases = SupplierAlias.objects.known_to(organization_id).filter(text__icontains=query)
    by_text = Supplier.objects.filter(name__icontains=query) | Supplier.objects.filter(
        pk__in=aliases.values("supplier_id")
    )
    ids = set(by_text.values_list("id", flat=True))
    if organization_id is not None:
        ids |= set(
            VendorCode.objects.filter(
                organization_id=organization_id, code__iexact=query
            ).values_list("supplier_id", flat=True)
        )
    return suppliers.filter(id__in=ids)


def _vendor_codes_of(organization_id: int | None) -> QuerySet[VendorCode]:
    """An organization's vendor codes; none without an organization."""
    if organization_id is None:
        return VendorCode.objects.none()
    return VendorCode.objects.filter(organization_id=organization_id)


def supplier_directory(
    *, organization_id: int | None, supplier_id: int | None, query: str = ""
) -> QuerySet[Supplier]:
    """The suppliers a party may look up, with the aliases it knows them by (`known_aliases`:
    the active ones and its own proposals) and the organization's vendor codes.

    A buyer organization sees every supplier (they are shared), each with `own_vendor_codes`;
    a supplier sees only itself. With neither (an operator), every supplier, without codes.
    """
    suppliers = supplier_search(query=query, organization_id=organization_id)
    if supplier_id is not None:
        suppliers = suppliers.filter(pk=supplier_id)
    codes = _vendor_codes_of(organization_id).order_by("code")
    aliases = SupplierAlias.objects.known_to(organization_id)
    return suppliers.prefetch_related(
        Prefetch("aliases", queryset=aliases, to_attr="known_aliases"),
        Prefetch("vendor_codes", queryset=codes, to_attr="own_vendor_codes"),
    )


def supplier_choices(*, query: str, organization_id: int | None, limit: int = 10) -> list[Supplier]:
    """Search-as-you-type for the report form: name, alias or the organization's vendor code.

    Each supplier carries `my_codes` (this organization's vendor codes) and `found_aliases`.
    A query the search rule refuses (a NUL character) finds nothing, as the API refuses it.
    """
    try:
        query = clean_search(query)
    except InputError:
        return []
    if not query:
        return []
    my_codes = _vendor_codes_of(organization_id)
    suppliers = supplier_search(query=query, organization_id=organization_id).prefetch_related(
        Prefetch("vendor_codes", queryset=my_codes, to_attr="my_codes"),
        Prefetch(
            "aliases",
            queryset=SupplierAlias.objects.known_to(organization_id).filter(text__icontains=query),
            to_attr="found_aliases",
        ),
    )
    return list(suppliers.order_by("name")[:limit])


def supplier_names(*, limit: int = 2000) -> list[str]:
    """Names for the report form's <datalist>, the search field's fallback without JavaScript."""
    return list(Supplier.objects.order_by("name").values_list("name", flat=True)[:limit])


def supplier_resolve(
    *,
    organization_id: int | None,
    pk: int | None = None,
    slug: str | None = None,
    vendor_code: str | None = None,
    text: str | None = None,
) -> Supplier:
    """The one supplier a reporter means, named in exactly one way: chosen from the search (`pk`),
    by its `slug`, by the organization's own `vendor_code`, or typed (`text`: a name, an alias or a
    vendor code, as the report form's field without JavaScript). Refuses with the field at fault
    (`supplier`, or `vendor_code`) and words that help to name it right."""
    given = [value for value in (pk, slug, vendor_code, text) if value not in (None, "")]
    if len(given) != 1:
        raise ApplicationError(
            "Name the supplier by `supplier` (slug) or by `vendor_code`.", field="supplier"
        )
    if pk is not None:
        found = Supplier.objects.filter(pk=pk).first()
        if found is None:
            raise ApplicationError("Choose the supplier again from the list.", field="supplier")
        return found
    if slug is not None:
        found = Supplier.objects.filter(slug=slug).first()
        if found is None:
            raise ApplicationError("No supplier has this slug.", field="supplier")
        return found
    if vendor_code is not None:
        link = (
            VendorCode.objects.filter(organization_id=organization_id, code=vendor_code)
            .select_related("supplier")
            .first()
            if organization_id is not None
            else None
        )
        if link is None:
            raise ApplicationError(
                "Your organization has no supplier with this vendor code.", field="vendor_code"
            )
        return link.supplier
    assert text is not None
    return _supplier_typed(clean_search(text, "supplier"), organization_id)


def _supplier_typed(query: str, organization_id: int | None) -> Supplier:
    found = list(
        supplier_search(query=query, organization_id=organization_id).order_by("name")[:11]
    )
    if len(found) == 1:
        return found[0]
    aliases = SupplierAlias.objects.known_to(organization_id).filter(text__iexact=query)
    exact = list(
        Supplier.objects.filter(id__in=[s.pk for s in found])
        .filter(
            Q(name__iexact=query)
            | Q(pk__in=aliases.values("supplier_id"))
            | Q(vendor_codes__organization_id=organization_id, vendor_codes__code__iexact=query)
        )
        .distinct()
    )
    if len(exact) == 1:
        return exact[0]
    if not found:
        raise ApplicationError(
            f'No supplier matches "{query}". Check the spelling, or try an alias or your vendor '
            "code.",
            field="supplier",
        )
    names = ", ".join(s.name for s in found[:10])
    more = " and more" if len(found) > 10 else ""
    raise ApplicationError(
        f'Several suppliers match "{query}" ({names}{more}). Choose one from the list.',
        field="supplier",
    )
