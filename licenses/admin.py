"""The publisher's back office: catalogue and licences are edited here; links and the
audit log (app ``audit``) are shown for support but changed only through the coordinator's screens."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, Seat
from licenses.usage_export import usage_response


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0


@admin.register(Method)
class MethodAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "subject"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ProductInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "method", "product_type", "code"]
    list_filter = ["product_type", "method"]
    list_select_related = ["method"]
    search_fields = ["name", "=code"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["product", "school", "school_year", "kind", "seats", "seats_used", "order_reference"]
    list_filter = ["kind", "school_year", "product__product_type", "product__method"]
    list_select_related = ["product__method", "school"]
    search_fields = ["=school__basispoort_id", "=school__brin", "=order_reference"]
    raw_id_fields = ["school"]
    autocomplete_fields = ["product"]
    show_full_result_count = False

    change_list_template = "admin/licenses/licence/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_seats_used=Count("seats_taken", distinct=True))

    def get_urls(self):
        download = self.admin_site.admin_view(self.usage_download)
        return [
            path("licentiegebruik.csv", download, {"fmt": "csv"}, name="licenses_licence_usage_csv"),
            path("licentiegebruik.xlsx", download, {"fmt": "xlsx"}, name="licenses_licence_usage_xlsx"),
            *super().get_urls(),
        ]

    def usage_download(self, request, fmt: str):
        """ "Licentiegebruik downloaden" of every school: the publisher's export, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return usage_response(None, fmt, "alle-scholen", timezone.localdate())

    @admin.display(description=_("in gebruik"), ordering="_seats_used")
    def seats_used(self, obj):
        return obj._seats_used if obj.kind == LicenceKind.PER_PUPIL else "–"


class LinkAdmin(admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GroupLink)
class GroupLinkAdmin(LinkAdmin):
    list_display = ["licence", "group", "school", "created_at"]
    list_select_related = ["licence__product__method", "group", "school"]
    search_fields = ["=school__basispoort_id", "=school__brin"]


@admin.register(Seat)
class SeatAdmin(LinkAdmin):
    list_display = ["licence", "pupil", "school", "created_at"]
    list_select_related = ["licence__product__method", "pupil", "school"]
    search_fields = ["=school__basispoort_id", "=school__brin", "=pupil__basispoort_id"]
