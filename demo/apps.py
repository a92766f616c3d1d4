from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Development tools, not production code: the demo world's builders (roster, licences,
    results), the reference LVS, and the ``demo_world`` / ``demo_results`` commands. No app
    imports this package; ``make demo`` and the tests do."""

    name = "demo"
    verbose_name = _("Demo")
