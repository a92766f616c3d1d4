from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licenties")

    def ready(self) -> None:
        from licenses.receivers import connect

        connect()
