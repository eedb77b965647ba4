"""The operators' admin of people, parties and suppliers. A membership's role and its removal go
through the team services, so a supplier always keeps an admin."""

from __future__ import annotations

from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest

from supplierwatch.admin import OperatorsChangeAdmin, refusals_shown
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from . import inputs, services
from .models import (
    Invitation,
    Membership,
    Organization,
    Supplier,
    SupplierAlias,
    User,
    VendorCode,
)


class MembershipInline(admin.StackedInline):
    """A new person's party is chosen here; an existing membership changes on its own page,
    through the team services."""

    model = Membership
    can_delete = False
    autocomplete_fields = ["organization", "supplier"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and Membership.objects.filter(user=obj).exists():
            return ["organization", "supplier", "role"]
        return []


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "party",
        "is_staff",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "membership__role"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["membership__organization", "membership__supplier"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description="Party")
    def party(self, obj: User) -> str:
        membership = obj.party
        return f"{membership.party} ({membership.role})" if membership else "—"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class SupplierAliasForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """An alias as the matcher reads it (handles with '@', bare domains...), by the rule
        every other way of adding one applies, judged when it is added or changed (an alias
        kept as it is is not refused for a rule it predates)."""
        cleaned = super().clean() or {}
        changed = {"kind", "text", "supplier"} & set(self.changed_data)
        if cleaned.get("kind") and "text" in cleaned and changed:
            supplier = cleaned.get("supplier")
            with refusals_shown(self):
                cleaned["text"] = services.supplier_alias_clean(
                    supplier_id=supplier.pk if supplier else self.instance.supplier_id,
                    kind=cleaned["kind"],
                    text=cleaned["text"],
                )
        return cleaned


# What everyone's matching sees is changed by operators alone (DESIGN.md); a proposal's state
# changes only through the approve and reject actions, which call their services.
ALIAS_REVIEW_FIELDS = ["state", "proposed_by", "reviewed_by", "reviewed_at"]


class SupplierAliasInline(admin.TabularInline):
    model = SupplierAlias
    form = SupplierAliasForm
    fields = ["kind", "text", "is_ambiguous", "state", "proposed_by"]
    readonly_fields = ["state", "proposed_by"]
    extra = 1

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return viewer_of(request.user).is_operator and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return viewer_of(request.user).is_operator and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return viewer_of(request.user).is_operator and super().has_delete_permission(request, obj)


class SupplierForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        """The supplier record's rules for its name and website, as an import applies them."""
        cleaned = super().clean() or {}
        with refusals_shown(self):
            if "name" in cleaned:
                cleaned["name"] = inputs.clean_name(cleaned["name"])
            if "website" in cleaned:
                cleaned["website"] = inputs.clean_website(cleaned["website"])
        return cleaned


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    form = SupplierForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "slug", "website", "created_at"]
    search_fields = ["name", "slug", "aliases__text"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SupplierAliasInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        # Searching by alias joins aliases; distinct() keeps one row per supplier.
        return queryset.distinct(), False


@admin.register(SupplierAlias)
class SupplierAliasAdmin(OperatorsChangeAdmin):
    """Buyer organizations' proposals wait here (filter by state) for an operator to approve
    them into everyone's matching or reject them."""

    form = SupplierAliasForm
    readonly_fields = ALIAS_REVIEW_FIELDS
    list_display = ["text", "kind", "supplier", "state", "proposed_by", "is_ambiguous"]
    list_filter = ["state", "kind", "is_ambiguous"]
    search_fields = ["text", "supplier__name", "proposed_by__name"]
    list_select_related = ["supplier", "proposed_by"]
    autocomplete_fields = ["supplier"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return viewer_of(request.user).is_operator and super().has_add_permission(request)

    @admin.action(description="Approve for everyone's matching", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: Any) -> None:
        self._review(request, queryset, services.supplier_alias_approve, "approved")

    @admin.action(description="Reject for matching", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        self._review(request, queryset, services.supplier_alias_reject, "rejected")

    def _review(self, request: HttpRequest, queryset: Any, review: Any, done: str) -> None:
        count = 0
        for alias in queryset.select_related("supplier"):
            try:
                review(alias=alias, actor=request.user)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{alias} ({alias.supplier}): {exc.message}", messages.ERROR
                )
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} alias{'es' if count > 1 else ''} {done}.")


class VendorCodeForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "code" in cleaned:
            with refusals_shown(self):
                cleaned["code"] = inputs.clean_vendor_code(cleaned["code"], "code")
        return cleaned


@admin.register(VendorCode)
class VendorCodeAdmin(admin.ModelAdmin):
    form = VendorCodeForm
    list_display = ["code", "organization", "supplier", "created_at"]
    list_filter = ["organization"]
    search_fields = ["code", "supplier__name", "organization__name"]
    list_select_related = ["organization", "supplier"]
    autocomplete_fields = ["organization", "supplier"]


class MembershipAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        membership = self.instance
        role = cleaned.get("role")
        # The team service's rule, asked here before the service asks again when saving.
        changed = bool(membership.pk and role and role != membership.role)
        if changed and services.is_only_admin(membership):
            self.add_error("role", services.ONLY_ADMIN)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(OperatorsChangeAdmin):
    form = MembershipAdminForm
    list_display = ["user", "organization", "supplier", "role", "created_at"]
    list_filter = ["role", "organization", "supplier"]
    search_fields = ["user__email", "organization__name", "supplier__name"]
    list_select_related = ["user", "organization", "supplier"]
    autocomplete_fields = ["user", "organization", "supplier"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        # One person, one party: a membership's party is chosen once, when it is added.
        return ["user", "organization", "supplier"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if not change or "role" not in form.changed_data or obj.supplier_id is None:
            super().save_model(request, obj, form, change)
            return
        try:
            services.membership_set_role(
                membership=obj,
                role=form.cleaned_data["role"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        if obj is not None and services.is_only_admin(obj):
            return False  # the team would be left without anyone to manage it
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        if obj.supplier_id is None:
            super().delete_model(request, obj)
            return
        services.membership_remove(membership=obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for membership in queryset:
            try:
                self.delete_model(request, membership)
            except ApplicationError as exc:
                self.message_user(request, f"{membership}: {exc.message}", messages.ERROR)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Pending invitations to suppliers' teams. Made on the team page, where the e-mail goes
    out; operators read them and may delete one (its link then stops working)."""

    list_display = ["email", "supplier", "role", "invited_by", "sent_at"]
    list_filter = ["role"]
    search_fields = ["email", "supplier__name"]
    list_select_related = ["supplier", "invited_by"]
    readonly_fields = [
        "supplier",
        "email",
        "role",
        "first_name",
        "last_name",
        "invited_by",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# Login lockouts (django-axes): operators see them under "Access attempts" and clear one by
# deleting its row. Axes' logs of every login and failure are switched off (settings), so their
# pages, always empty, are not offered.
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)
