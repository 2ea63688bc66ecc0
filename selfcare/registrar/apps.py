from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RegistrarConfig(AppConfig):
    name = "selfcare.registrar"
    label = "registrar"
    verbose_name = _("SIP registrar")

    def ready(self) -> None:
        from selfcare.registrar import checks, schema

        checks.register()
        # The view carries the SIP domain and the carrier's time zone from the settings:
        # every migrate brings it in step with them (and grants it to the registrar role).
        post_migrate.connect(schema.sync_after_migrate, sender=self, dispatch_uid="registrar_schema_sync")
