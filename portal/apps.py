from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The top floor: pages that combine the roster, licences and result links."""

    name = "portal"
    verbose_name = _("Portaal")
