"""Back-office view of the roster. Read-only: it comes from Basispoort every night.

Lists are built for a national database: searches use exact ids or name prefixes (indexes),
foreign keys show as ids, and the total row count is not computed on every page.
"""

from django.contrib import admin

from roster.models import Appointment, AppointmentRole, Group, Pupil, School, Staff


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = ["name", "basispoort_id", "brin", "dependancecode", "city", "active", "sync_permitted"]
    list_filter = ["active", "sync_permitted"]
    search_fields = ["=basispoort_id", "=brin", "^name"]


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "jaargroep", "school", "las_key", "is_subgroup", "active"]
    list_filter = ["active", "is_subgroup"]
    list_select_related = ["school"]
    search_fields = ["=school__basispoort_id", "=school__brin", "=las_key"]


class AppointmentRoleInline(admin.TabularInline):
    model = AppointmentRole
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Staff)
class StaffAdmin(ReadOnlyAdmin):
    list_display = ["sort_name", "basispoort_id"]
    search_fields = ["=basispoort_id", "^last_name"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["staff", "school", "email", "end_date", "active"]
    list_filter = ["active"]
    list_select_related = ["staff", "school"]
    search_fields = ["=staff__basispoort_id", "=school__basispoort_id", "=school__brin", "=email"]
    inlines = [AppointmentRoleInline]


@admin.register(Pupil)
class PupilAdmin(ReadOnlyAdmin):
    list_display = ["sort_name", "basispoort_id", "jaargroep", "group", "school", "active"]
    list_filter = ["active"]
    list_select_related = ["group", "school"]
    search_fields = ["=basispoort_id", "=school__basispoort_id", "=school__brin", "^last_name"]
