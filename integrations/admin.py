import secrets

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.api import token_digest
from integrations.models import DeliveryBatch, LearningResult, LvsSupplier, ResultLink, ServiceToken


@admin.register(LvsSupplier)
class LvsSupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "endpoint_url", "klantcode", "klantnaam", "active"]
    list_filter = ["active"]
    # An address typed without a scheme is https; LvsSupplier.clean refuses http in production.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ResultLink)
class ResultLinkAdmin(admin.ModelAdmin):
    """Read-only: links are made and changed by the school's coordinator; the key is never shown."""

    list_display = [
        "school",
        "supplier",
        "status",
        "key_last4",
        "consent_by_name",
        "consent_at",
        "last_delivery_at",
        "withdrawn_at",
    ]
    list_filter = ["status", "supplier"]
    list_select_related = ["school", "supplier"]
    search_fields = ["school__name", "school__brin"]
    exclude = ["key_encrypted", "lease_until", "lease_token"]
    readonly_fields = [
        "school",
        "supplier",
        "key_last4",
        "status",
        "status_message",
        "checked_at",
        "consent_by",
        "consent_by_name",
        "consent_at",
        "last_delivery_at",
        "failed_runs",
        "next_attempt_at",
        "withdrawn_at",
        "withdrawn_by_name",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "token_last4", "active", "all_schools", "created_at"]
    fields = ["name", "active", "all_schools", "schools"]
    autocomplete_fields = ["schools"]

    def save_model(self, request, obj, form, change):
        if not change:
            token = secrets.token_urlsafe(32)
            obj.token_digest = token_digest(token)
            obj.token_last4 = token[-4:]
            # The only time the token is shown; afterwards only its digest exists.
            messages.warning(
                request,
                _("Het token voor %(name)s is: %(token)s — bewaar het nu, het wordt niet meer getoond.")
                % {"name": obj.name, "token": token},
            )
        super().save_model(request, obj, form, change)


@admin.register(LearningResult)
class LearningResultAdmin(admin.ModelAdmin):
    list_display = ["external_id", "school", "kind", "toetscode", "score", "afnamedatum", "received_at"]
    list_filter = ["kind", "school_year"]
    list_select_related = ["school"]
    search_fields = ["external_id", "toetscode"]
    raw_id_fields = ["school", "pupil", "service"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeliveryBatch)
class DeliveryBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "link",
        "school_year",
        "status",
        "size",
        "attempts",
        "created_at",
        "confirmed_at",
        "last_error",
    ]
    list_filter = ["status"]
    list_select_related = ["link__school", "link__supplier"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
