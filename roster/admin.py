"""Back-office view of the roster. Read-only: it comes from Basispoort every night.

Lists are built for a national database: searches use exact ids or name prefixes (indexes),
foreign keys show as ids, and the total row count is not computed on every page.
"""

import re

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from roster.models import (
    Appointment,
    AppointmentRole,
    Group,
    HeldNight,
    ImportRun,
    Pupil,
    School,
    SchoolImportResult,
    SchoolResultStatus,
    Staff,
)

BRIN_RE = re.compile(r"^\d{2}[A-Z]{2}(\d{2})?$")


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
    search_help_text = _("Basispoort-id, BRIN-code of het begin van de naam")

    def get_search_results(self, request, queryset, search_term):
        # A school name has spaces ("De Regenboog"); search the whole phrase, not word by word.
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(basispoort_id=int(term)), False
        if BRIN_RE.match(term.upper()):
            return queryset.filter(brin=term.upper()[:4], **({"dependancecode": term[4:]} if term[4:] else {})), False
        if term:
            return queryset.filter(name__istartswith=term), False
        return queryset, False


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


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "finished_at",
        "trigger",
        "full",
        "status",
        "schools_total",
        "schools_failed",
        "held",
        "error",
    ]
    list_filter = ["status", "trigger"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(schools_held=Count("results", filter=Q(results__status=SchoolResultStatus.HELD)))
        )

    @admin.display(description=_("scholen tegengehouden"), ordering="schools_held")
    def held(self, obj: ImportRun) -> int:
        return obj.schools_held


@admin.register(HeldNight)
class HeldNightAdmin(ReadOnlyAdmin):
    """Nights held per school (roster.holds); filter on "open" for those still waiting for a coordinator."""

    list_display = ["school", "held_at", "run", "reasons", "decision", "decided_at", "decided_by_label"]
    list_filter = [("decided_at", admin.EmptyFieldListFilter), "decision"]
    list_select_related = ["school", "run"]
    search_fields = ["=school__basispoort_id", "=school__brin", "^school__name"]
    raw_id_fields = ["school", "run", "decided_by"]
    exclude = ["document"]  # the pupils' names and more: the summary says what would change


@admin.register(SchoolImportResult)
class SchoolImportResultAdmin(ReadOnlyAdmin):
    """Per school and run; filter on "Geweigerd of mislukt" to see what the night refused."""

    list_display = ["basispoort_id", "school", "run", "status", "moved_pupils", "warning_count", "duration", "error"]
    list_filter = ["status"]
    list_select_related = ["school", "run"]
    search_fields = ["=basispoort_id", "=run__id"]
    raw_id_fields = ["school", "run"]

    @admin.display(description=_("waarschuwingen"))
    def warning_count(self, obj: SchoolImportResult) -> int:
        return sum(w.get("count", 1) for w in obj.warnings)
