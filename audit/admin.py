from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the application only."""

    show_full_result_count = False
    list_per_page = 50
    list_display = ["created_at", "actor_label", "action", "subject", "school"]
    list_filter = ["action"]
    list_select_related = ["school"]
    search_fields = ["=school__basispoort_id", "=school__brin", "actor_label"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
