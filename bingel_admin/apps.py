from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with the two-factor site (bingel_admin.back_office) as ``admin.site``."""

    default_site = "bingel_admin.back_office.BackOfficeSite"
