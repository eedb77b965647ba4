"""Operators' view of keys, webhooks and feeds. Adding a key or a subscription goes through the services
and shows the secret once, on the page after saving; it is never shown again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from supplierwatch.admin import refusals_shown
from supplierwatch.errors import ApplicationError

from . import services
from .models import ApiKey, Feed, WebhookDelivery, WebhookSubscription


def _shown_once(request: HttpRequest, admin_site, obj, label: str, secret: str) -> HttpResponse:
    context = {
        **admin_site.each_context(request),
        "title": f"{label} created",
        "object": obj,
        "label": label,
        "secret": secret,
        "opts": obj._meta,
    }
    return TemplateResponse(request, "admin/integrations/shown_once.html", context)


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "organization", "supplier", "can_write"]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        with refusals_shown(self):
            services.api_key_party_check(cleaned.get("organization"), cleaned.get("supplier"))
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "party",
        "can_write",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["can_write", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "organization__name", "supplier__name"]
    list_select_related = ["organization", "supplier"]
    autocomplete_fields = ["organization", "supplier"]
    readonly_fields = [
        "name",
        "prefix",
        "organization",
        "supplier",
        "can_write",
        "user",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None) -> tuple[str, ...]:
        return tuple(self.readonly_fields if obj is not None else ApiKeyAddForm.Meta.fields)

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if change:
            return  # nothing of a key is edited; it is revoked instead
        issued = services.api_key_issue(
            name=obj.name,
            organization=obj.organization,
            supplier=obj.supplier,
            can_write=obj.can_write,
            created_by=request.user,
        )
        obj.pk, obj.prefix = issued.api_key.pk, issued.api_key.prefix
        request._issued_key = issued.key

    def response_add(self, request, obj: ApiKey, post_url_continue=None) -> HttpResponse:
        return _shown_once(request, self.admin_site, obj, "API key", request._issued_key)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)


class SubscriptionForm(forms.ModelForm):
    # Text, not Django's URLField: what a webhook URL may be is the service's rule, checked in
    # clean() as the API checks it.
    url = forms.CharField(max_length=services.URL_MAX, widget=forms.URLInput)
    events = forms.MultipleChoiceField(
        choices=WebhookSubscription.Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["organization", "supplier", "url", "description", "events", "is_active"]

    def clean(self) -> dict:
        """The services' own rules (one party with room for another subscription, a URL that can
        receive webhooks, events, description), so that a refusal shows on the form."""
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # a field's own error first
        subscription = self.instance if self.instance.pk else None
        with refusals_shown(self):
            cleaned.update(
                services.webhook_subscription_clean(
                    subscription=subscription,
                    organization=cleaned.get("organization"),
                    supplier=cleaned.get("supplier"),
                    url=cleaned.get("url"),
                    events=cleaned.get("events"),
                    description=cleaned.get("description"),
                )
            )
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["url", "party", "is_active", "failure_count", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organization__name", "supplier__name"]
    list_select_related = ["organization", "supplier"]
    autocomplete_fields = ["organization", "supplier"]
    readonly_fields = ["failure_count", "disabled_at", "created_by", "created_at", "updated_at"]
    actions = ["switch_on"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        # A subscription's party is chosen once, when it is added (the service changes no party).
        party = ["organization", "supplier"] if obj is not None else []
        return [*party, *self.readonly_fields]

    def save_model(self, request, obj: WebhookSubscription, form, change: bool) -> None:
        """Through the services. The form ran their rules already; a refusal now (another
        subscription added meanwhile, a host that resolves elsewhere) is shown and nothing is
        saved, rather than an error page."""
        data = form.cleaned_data
        try:
            if change:
                services.webhook_subscription_update(
                    subscription=obj,
                    url=data["url"],
                    events=data["events"],
                    description=data["description"],
                    is_active=data["is_active"],
                )
                return
            subscription, secret = services.webhook_subscription_create(
                organization=data["organization"],
                supplier=data["supplier"],
                url=data["url"],
                events=data["events"],
                description=data["description"],
                created_by=request.user,
            )
        except ApplicationError as exc:
            self.message_user(request, f"Nothing was saved: {exc.message}", messages.ERROR)
            request._refused = True
            return
        obj.pk = subscription.pk
        request._issued_secret = secret

    def log_addition(self, request, obj, message):
        if getattr(request, "_refused", False):
            return None
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if getattr(request, "_refused", False):
            return None
        return super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        if getattr(request, "_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return _shown_once(
            request, self.admin_site, obj, "Webhook subscription", request._issued_secret
        )

    def response_change(self, request, obj) -> HttpResponse:
        if getattr(request, "_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    @admin.action(description="Switch on again (forgets past failures)")
    def switch_on(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            services.webhook_subscription_update(subscription=subscription, is_active=True)
        self.message_user(request, "Switched on.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "event_id",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "subscription__url"]
    list_select_related = ["subscription"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries come from events, never by hand

    @admin.action(description="Deliver again (same event id)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        queued = 0
        for delivery in queryset.select_related("subscription"):
            try:
                services.webhook_delivery_redeliver(delivery=delivery)
                queued += 1
            except ApplicationError as exc:
                self.message_user(request, f"{delivery}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{queued} delivery(ies) queued again.", messages.SUCCESS)


class FeedAddForm(forms.ModelForm):
    # What a feed may be is the service's rule (feed_clean), checked in clean() as everywhere.
    name = forms.CharField(
        max_length=50,
        required=False,
        help_text="Unique among the operators' feeds, or the chosen supplier's; made from the "
        "target when left empty.",
    )
    target = forms.CharField(
        max_length=500,
        required=False,
        help_text="RSS or Atom: the feed's URL. Mastodon: https://INSTANCE/tags/TAG or "
        "https://INSTANCE/search?q=WORDS. Bluesky: the words to search. Inbound webhook: empty.",
    )
    interval_seconds = forms.IntegerField(required=False, help_text="Seconds between polls.")

    class Meta:
        model = Feed
        fields = ["kind", "target", "name", "interval_seconds", "supplier"]

    def validate_unique(self) -> None:
        pass  # the name's uniqueness is the service's rule, checked in clean()

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        with refusals_shown(self):
            checked = services.feed_clean(
                kind=cleaned.get("kind", ""),
                target=cleaned.get("target", ""),
                name=cleaned.get("name", ""),
                interval_seconds=cleaned.get("interval_seconds"),
                supplier=cleaned.get("supplier"),
            )
            cleaned.update(name=checked.name, target=checked.target)
        return cleaned


class FeedChangeForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ["interval_seconds"]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        with refusals_shown(self):
            cleaned["interval_seconds"] = services.feed_interval_clean(
                feed=self.instance, interval_seconds=cleaned.get("interval_seconds")
            )
        return cleaned


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    """Every feed, operators' and suppliers'. Adding, a new interval, "poll now" and clearing a
    disabled feed go through the services."""

    list_display = [
        "name",
        "kind",
        "target",
        "supplier",
        "status",
        "last_success_at",
        "last_error",
        "items_stored",
        "items_seen",
        "failure_count",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["name", "target", "supplier__name"]
    list_select_related = ["supplier"]
    autocomplete_fields = ["supplier"]
    readonly_fields = [
        "name",
        "source",
        "kind",
        "target",
        "supplier",
        "inbound_path",
        "status",
        "failure_count",
        "last_polled_at",
        "last_success_at",
        "last_error_at",
        "last_error",
        "last_rejection",
        "disabled_at",
        "next_poll_at",
        "cursor",
        "catch_up_cursor",
        "catch_up_newest",
        "etag",
        "last_modified",
        "items_seen",
        "items_stored",
        "items_rejected",
        "created_by",
        "created_at",
    ]
    actions = ["poll_now", "clear"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = FeedAddForm if obj is None else FeedChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None) -> tuple[str, ...]:
        if obj is None:
            return tuple(FeedAddForm.Meta.fields)
        return ("interval_seconds", *self.readonly_fields)

    @admin.display(description="Inbound URL path")
    def inbound_path(self, feed: Feed) -> str:
        if not feed.inbound_token:
            return "-"
        return reverse("api-feed-inbound", args=[feed.inbound_token])

    def save_model(self, request, obj: Feed, form, change: bool) -> None:
        if change:
            with transaction.atomic():
                services.feed_update(
                    feed=obj, interval_seconds=form.cleaned_data["interval_seconds"]
                )
            return
        data = form.cleaned_data
        created = services.feed_create(
            kind=data["kind"],
            target=data["target"],
            name=data["name"],
            interval_seconds=data.get("interval_seconds"),
            supplier=data.get("supplier"),
            created_by=request.user,
        )
        obj.pk = created.feed.pk
        request._feed_secret = created.secret

    def response_add(self, request, obj: Feed, post_url_continue=None) -> HttpResponse:
        secret = getattr(request, "_feed_secret", "")
        if secret:
            return _shown_once(request, self.admin_site, obj, "Inbound webhook feed", secret)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Poll the selected feeds now")
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = 0
        for feed in queryset:
            if feed.is_polled and feed.status != Feed.Status.DISABLED:
                services.feed_poll_request(feed=feed)
                count += 1
        self.message_user(request, f"{count} feed(s) queued for polling.", messages.SUCCESS)

    @admin.action(description="Clear the selected feeds (healthy again, polled at once)")
    def clear(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        count = 0
        for feed in queryset:
            services.feed_clear(feed=feed)
            count += 1
        self.message_user(request, f"{count} feed(s) cleared.", messages.SUCCESS)
