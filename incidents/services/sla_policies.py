"""The SLA's terms: the operators' default promise per severity, a supplier's own stricter promise,
and the supplier's working calendar. Each input is checked by its one validation
(inputs.clean_sla_promise, inputs.clean_work_calendar); a refusal names the field and saves nothing.

A change applies to the clocks that start afterwards: an incident keeps the due times it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import PromiseInput, clean_sla_promise, clean_work_calendar
from ..models import Severity, SlaPolicy, WorkCalendar, sla_promises

ONLY_ADMINS = "Only an admin of this supplier sets its promises and working calendar."
ONLY_OPERATORS = "Only operators set the default SLA policy."


def may_manage_sla(actor: User | None, supplier_id: int) -> bool:
    """A supplier's admins set its promises and calendar; operators may too."""
    viewer = viewer_of(actor)
    return viewer.is_operator or (
        viewer.is_supplier_staff and viewer.supplier_id == supplier_id and viewer.is_admin
    )


def _require_admin(actor: User | None, supplier_id: int) -> None:
    if not may_manage_sla(actor, supplier_id):
        raise ApplicationError(ONLY_ADMINS, code="forbidden")


@transaction.atomic
def sla_default_policy_save(
    *,
    actor: User | None,
    severity: int,
    first_answer_hours: Any,
    resolution_hours: Any,
    business_hours_only: bool,
) -> SlaPolicy:
    """The operators' promise for one severity, which every supplier's own may only tighten."""
    if not viewer_of(actor).is_operator:
        raise ApplicationError(ONLY_OPERATORS, code="forbidden")
    severity = Severity(severity)
    cleaned = clean_sla_promise(
        first_answer_hours=first_answer_hours,
        resolution_hours=resolution_hours,
        business_hours_only=business_hours_only,
    )
    policy, _ = SlaPolicy.objects.update_or_create(
        supplier=None, severity=severity, defaults=_fields(cleaned)
    )
    return policy


def _fields(promise: PromiseInput) -> dict[str, object]:
    return {
        "first_answer_hours": promise.first_answer_hours,
        "resolution_hours": promise.resolution_hours,
        "business_hours_only": promise.business_hours_only,
    }


@transaction.atomic
def sla_promises_save(
    *,
    actor: User | None,
    supplier: Supplier,
    promises: Mapping[int, Mapping[str, Any] | None],
) -> dict[int, SlaPolicy | None]:
    """A supplier's own promise per severity (None: keep to the default), each stricter than the
    default or equal; the fields are named `{severity slug}_first_answer_hours` and so on. All or
    nothing: the first refusal saves none of them."""
    _require_admin(actor, supplier.pk)
    defaults = {severity: default for severity, (default, _) in sla_promises(None).items()}
    cleaned: dict[int, PromiseInput | None] = {}
    # The most severe first, as the settings page lists them: the first refusal is the topmost.
    for value, values in sorted(promises.items(), reverse=True):
        severity = Severity(value)
        if values is None:
            cleaned[severity] = None
            continue
        cleaned[severity] = clean_sla_promise(
            first_answer_hours=values.get("first_answer_hours"),
            resolution_hours=values.get("resolution_hours"),
            business_hours_only=values.get("business_hours_only", False),
            prefix=f"{severity.slug}_",
            label=severity.label,
            default=defaults[severity],
        )
    saved: dict[int, SlaPolicy | None] = {}
    for level, promise in cleaned.items():
        rows = SlaPolicy.objects.filter(supplier=supplier, severity=level)
        if promise is None:
            rows.delete()
            saved[level] = None
        else:
            saved[level], _ = SlaPolicy.objects.update_or_create(
                supplier=supplier, severity=level, defaults=_fields(promise)
            )
    return saved


@transaction.atomic
def work_calendar_save(
    *,
    actor: User | None,
    supplier: Supplier,
    time_zone: Any,
    working_days: Any,
    opens: Any,
    closes: Any,
    country: Any = "",
    subdivision: Any = "",
) -> WorkCalendar:
    """When the supplier works: the clock of its business-hours promises."""
    _require_admin(actor, supplier.pk)
    cleaned = clean_work_calendar(
        time_zone=time_zone,
        working_days=working_days,
        opens=opens,
        closes=closes,
        country=country,
        subdivision=subdivision,
    )
    calendar, _ = WorkCalendar.objects.update_or_create(
        supplier=supplier,
        defaults={
            "time_zone": cleaned.time_zone,
            "working_days": cleaned.working_days,
            "opens": cleaned.opens,
            "closes": cleaned.closes,
            "country": cleaned.country,
            "subdivision": cleaned.subdivision,
        },
    )
    return calendar
