from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models

from .models import Membership, Organization, Supplier, SupplierAlias, User, VendorCode


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ["organization", "supplier"]


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


class SupplierAliasInline(admin.TabularInline):
    model = SupplierAlias
    extra = 1


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
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
class SupplierAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "supplier", "is_ambiguous"]
    list_filter = ["kind", "is_ambiguous"]
    search_fields = ["text", "supplier__name"]
    list_select_related = ["supplier"]
    autocomplete_fields = ["supplier"]


@admin.register(VendorCode)
class VendorCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "organization", "supplier", "created_at"]
    list_filter = ["organization"]
    search_fields = ["code", "supplier__name", "organization__name"]
    list_select_related = ["organization", "supplier"]
    autocomplete_fields = ["organization", "supplier"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "supplier", "role", "created_at"]
    list_filter = ["role", "organization", "supplier"]
    search_fields = ["user__email", "organization__name", "supplier__name"]
    list_select_related = ["user", "organization", "supplier"]
    autocomplete_fields = ["user", "organization", "supplier"]
