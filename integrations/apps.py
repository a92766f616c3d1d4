from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Koppelingen")

    def ready(self) -> None:
        # The roster and the licence app (the layers below) announce their changes; we subscribe from above.
        from django.db.models.signals import post_delete, post_save

        # The tasks the LVS actions and the registry push queue by name (celery.signature) are known
        # in every process, also one that never imported the task module (a web worker, a test).
        from integrations import tasks  # noqa: F401
        from integrations.registry.changes import on_licence_saved, on_licences_changed, on_roster_changed
        from licenses.models import Licence
        from licenses.signals import licences_changed
        from roster.signals import roster_changed

        roster_changed.connect(on_roster_changed, dispatch_uid="licence-registry")
        # A coordinator (or the import, for pupils who left) linked or unlinked licences.
        licences_changed.connect(on_licences_changed, dispatch_uid="licence-registry-links")
        # A licence bought, changed or withdrawn in the back office changes what is available.
        post_save.connect(on_licence_saved, sender=Licence, dispatch_uid="licence-registry-save")
        post_delete.connect(on_licence_saved, sender=Licence, dispatch_uid="licence-registry-delete")
