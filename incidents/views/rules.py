"""The assignment rules page of the portal (/portal/rules/): a supplier's admins list, add, edit,
delete and reorder the rules that give new incidents to colleagues.

Only the supplier's admins get these pages (403 for everyone else, as the team page); another
supplier's rule is a 404, like a missing one. Each POST validates a form and calls one service.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from suppliers.models import User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal
from supplierwatch.viewers import Viewer

from .. import selectors, services
from ..forms import RoutingRuleForm
from ..models import RoutingRule
from .common import membership_of, supplier_admin_required


def _rule_of(viewer: Viewer, pk: int) -> RoutingRule:
    return get_object_or_404(RoutingRule, pk=pk, supplier_id=viewer.supplier_id)


def _form(viewer: Viewer, *args: object, **kwargs: object) -> RoutingRuleForm:
    assert viewer.supplier_id is not None  # supplier_admin_required
    return RoutingRuleForm(
        *args, assignable=User.objects.assignable_at(viewer.supplier_id), **kwargs
    )


def _save(
    request: HttpRequest, form: RoutingRuleForm, rule: RoutingRule | None
) -> RoutingRule | None:
    """The rule saved from a valid form, or None with the service's refusal on the form."""
    if not form.is_valid():
        return None
    supplier = membership_of(request).supplier
    assert supplier is not None  # supplier_admin_required
    data = form.cleaned_data
    try:
        return services.routing_rule_save(
            actor=person(request.user),
            supplier=supplier,
            rule=rule,
            name=data["name"],
            assignees=list(data["assignees"]),
            category=data["category"],
            severity=data["severity"],
            severity_match=data["severity_match"],
            sku_prefix=data["sku_prefix"],
            lot_prefix=data["lot_prefix"],
            source=data["source"],
        )
    except ApplicationError as error:
        add_refusal(form, error)
        return None


@supplier_admin_required
def rule_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The rules in the order they are tried, and a form to add one (POST here)."""
    form = _form(viewer, request.POST or None)
    if request.method == "POST":
        rule = _save(request, form, None)
        if rule is not None:
            messages.success(request, f"Rule \u201c{rule.name}\u201d added.")
            return redirect("portal-rules")
    context = {
        "supplier": membership_of(request).supplier,
        "rows": selectors.routing_rules(viewer=viewer),
        "form": form,
    }
    return render(
        request, "portal/rules.html", context, status=400 if request.method == "POST" else 200
    )


@supplier_admin_required
def rule_edit(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    rule = _rule_of(viewer, pk)
    if request.method == "POST":
        form = _form(viewer, request.POST)
        if _save(request, form, rule) is not None:
            messages.success(request, f"Rule \u201c{rule.name}\u201d saved.")
            return redirect("portal-rules")
        status = 400
    else:
        form = _form(viewer, initial=RoutingRuleForm.initial_of(rule))
        status = 200
    context = {"supplier": membership_of(request).supplier, "rule": rule, "form": form}
    return render(request, "portal/rule_edit.html", context, status=status)


@require_POST
@supplier_admin_required
def rule_delete(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    rule = _rule_of(viewer, pk)
    services.routing_rule_delete(actor=person(request.user), rule=rule)
    messages.success(request, f"Rule \u201c{rule.name}\u201d deleted.")
    return redirect("portal-rules")


@require_POST
@supplier_admin_required
def rule_move(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    rule = _rule_of(viewer, pk)
    up = request.POST.get("direction") != "down"
    services.routing_rule_move(actor=person(request.user), rule=rule, up=up)
    return redirect(f"{reverse('portal-rules')}#rule-{rule.pk}")
