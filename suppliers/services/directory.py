"""What buyer organizations send through the API about suppliers: an ERP's vendor codes, linked
to the shared suppliers. A vendor code is its organization's alone: it names a supplier in that
organization's search and forms, and in no other party's, nor in matching."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, transaction

from supplierwatch.errors import ApplicationError
from supplierwatch.inputs import InputError
from supplierwatch.viewers import viewer_of

from ..inputs import ALIAS, NAME, VendorCodeInput, clean_vendor_code_row
from ..models import Organization, Supplier, SupplierAlias, User, VendorCode
from .imports import RecordError, free_slug


@dataclass(frozen=True)
class VendorCodeOutcome:
    index: int
    code: str
    supplier: Supplier
    # created: a new supplier, linked; linked: an existing supplier, newly linked;
    # relinked: the code moved to another supplier; unchanged: already so.
    outcome: str


@dataclass
class VendorCodesResult:
    outcomes: list[VendorCodeOutcome] = field(default_factory=list)
    rejected: list[RecordError] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.outcomes if item.outcome == outcome)


@transaction.atomic
def vendor_codes_upsert(
    *, organization: Organization, rows: Sequence[Mapping[str, Any]]
) -> VendorCodesResult:
    """Link each of the organization's vendor codes to the global supplier its row names.

    The supplier is found by its name, else by a name or alias of exactly one supplier (both
    case-insensitively; aliases as the organization knows them), and created only when none
    matches, so no supplier is ever duplicated. An existing supplier's details are left alone:
    every organization shares them. A new supplier's name is the organization's proposal for
    everyone's matching, as any alias it adds: an operator approves it. A code that pointed at
    another supplier is moved. Each row ({"code", "name", "website"}) is checked by
    suppliers.inputs.clean_vendor_code_row and written in its own savepoint; a row that cannot be
    written is reported by its index and the others are still written.
    """
    result = VendorCodesResult()
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        try:
            line = clean_vendor_code_row(
                code=row.get("code"), name=row.get("name"), website=row.get("website", "")
            )
            code = line.code
            if code in seen:
                raise InputError("vendor_code", f"the same code as row {seen[code]}")
            seen[code] = index
            # A second try finds the supplier that a concurrent request created meanwhile.
            for attempt in (1, 2):
                try:
                    with transaction.atomic():
                        supplier, outcome = _link_vendor_code(organization, line)
                    break
                except IntegrityError:
                    if attempt == 2:
                        raise
        except (InputError, IntegrityError, DataError) as exc:
            result.rejected.append(RecordError.refused(index, row.get("name"), exc))
            continue
        result.outcomes.append(VendorCodeOutcome(index, code, supplier, outcome))
    return result


def _supplier_named(name: str, organization_id: int) -> Supplier | None:
    supplier = Supplier.objects.filter(name__iexact=name).first()
    if supplier is not None:
        return supplier
    ids = set(
        SupplierAlias.objects.known_to(organization_id)
        .filter(kind__in=[NAME, ALIAS], text__iexact=name)
        .values_list("supplier_id", flat=True)
        .distinct()
    )
    if len(ids) > 1:
        raise InputError("name", f"{name!r} is an alias of {len(ids)} suppliers; use the full name")
    return Supplier.objects.get(pk=ids.pop()) if ids else None


def _link_vendor_code(organization: Organization, line: VendorCodeInput) -> tuple[Supplier, str]:
    code, name = line.code, line.name
    supplier = _supplier_named(name, organization.pk)
    created = supplier is None
    if supplier is None:
        try:
            slug = free_slug(name)
        except InputError:
            slug = free_slug("supplier")  # a name with no letters a slug can keep
        supplier = Supplier.objects.create(name=name, slug=slug, website=line.website)
        SupplierAlias.objects.create(
            supplier=supplier,
            kind=NAME,
            text=name,
            state=SupplierAlias.State.PROPOSED,
            proposed_by=organization,
        )
    link = (
        VendorCode.objects.select_for_update().filter(organization=organization, code=code).first()
    )
    if link is None:
        VendorCode.objects.create(organization=organization, supplier=supplier, code=code)
        return supplier, "created" if created else "linked"
    if link.supplier_id == supplier.pk:
        return supplier, "unchanged"
    link.supplier = supplier
    link.save(update_fields=["supplier"])
    return supplier, "relinked"


def _require_organization_admin(actor: User, organization: Organization) -> None:
    viewer = viewer_of(actor)
    if viewer.is_operator:
        return
    if not (viewer.organization_id == organization.pk and viewer.is_admin):
        raise ApplicationError(
            f"Only an admin of {organization} keeps its vendor codes.", code="forbidden"
        )


def vendor_code_add(
    *, organization: Organization, actor: User, code: str, name: str
) -> VendorCodeOutcome:
    """One vendor code typed on the organization's page: the same rule and outcome as a row of
    an ERP's upload (vendor_codes_upsert), refused with its field when it cannot be written."""
    _require_organization_admin(actor, organization)
    result = vendor_codes_upsert(organization=organization, rows=[{"code": code, "name": name}])
    if result.rejected:
        # "field: reason", as an upload's report says it; the page shows the reason by its field.
        field, _, reason = result.rejected[0].message.partition(": ")
        field = {"vendor_code": "code"}.get(field, field)
        raise ApplicationError(reason or field, field=field if reason else None)
    return result.outcomes[0]


@transaction.atomic
def vendor_code_remove(*, vendor_code: VendorCode, actor: User) -> None:
    """Forget one of the organization's vendor codes (the supplier stays, shared by everyone)."""
    _require_organization_admin(actor, vendor_code.organization)
    VendorCode.objects.filter(pk=vendor_code.pk).delete()
