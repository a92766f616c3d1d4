"""The publisher's back office: catalogue and licences are edited here; links and the
audit log (app ``audit``) are shown for support but changed only through the coordinator's screens."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, Seat


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

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_seats_used=Count("seats_taken", distinct=True))

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
