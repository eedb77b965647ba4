"""Every write to suppliers, their aliases, vendor codes and teams: one function per use case,
each in a transaction, each input checked by suppliers.inputs."""

from .aliases import (
    supplier_alias_add,
    supplier_alias_approve,
    supplier_alias_clean,
    supplier_alias_reject,
)
from .directory import VendorCodeOutcome, VendorCodesResult, vendor_codes_upsert
from .imports import ImportResult, RecordError, suppliers_import
from .team import (
    ONLY_ADMIN,
    is_only_admin,
    membership_invite,
    membership_remove,
    membership_send_invitation,
    membership_set_role,
)

__all__ = [
    "ONLY_ADMIN",
    "ImportResult",
    "RecordError",
    "VendorCodeOutcome",
    "VendorCodesResult",
    "is_only_admin",
    "membership_invite",
    "membership_remove",
    "membership_send_invitation",
    "membership_set_role",
    "supplier_alias_add",
    "supplier_alias_approve",
    "supplier_alias_clean",
    "supplier_alias_reject",
    "suppliers_import",
    "vendor_codes_upsert",
]
