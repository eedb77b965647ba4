"""Every write to suppliers, their aliases, vendor codes and teams: one function per use case,
each in a transaction, each input checked by suppliers.inputs."""

from .aliases import (
    supplier_alias_add,
    supplier_alias_approve,
    supplier_alias_clean,
    supplier_alias_reject,
)
from .directory import (
    VendorCodeOutcome,
    VendorCodesResult,
    vendor_code_add,
    vendor_code_remove,
    vendor_codes_upsert,
)
from .imports import ImportResult, RecordError, suppliers_import
from .team import (
    ONLY_ADMIN,
    invitation_accept,
    invitation_from_token,
    invitation_resend,
    invitation_send,
    invitation_token,
    invitation_withdraw,
    is_only_admin,
    may_join_a_team,
    membership_invite,
    membership_remove,
    membership_send_invitation,
    membership_set_role,
    team_of,
)

__all__ = [
    "ONLY_ADMIN",
    "ImportResult",
    "RecordError",
    "VendorCodeOutcome",
    "VendorCodesResult",
    "invitation_accept",
    "invitation_from_token",
    "invitation_resend",
    "invitation_send",
    "invitation_token",
    "invitation_withdraw",
    "is_only_admin",
    "may_join_a_team",
    "membership_invite",
    "membership_remove",
    "membership_send_invitation",
    "membership_set_role",
    "supplier_alias_add",
    "supplier_alias_approve",
    "supplier_alias_clean",
    "supplier_alias_reject",
    "suppliers_import",
    "team_of",
    "vendor_code_add",
    "vendor_code_remove",
    "vendor_codes_upsert",
]
