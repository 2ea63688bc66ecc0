from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RegistrarConfig(AppConfig):
    name = "selfcare.registrar"
    label = "registrar"
    verbose_name = _("SIP registrar")

    def ready(self) -> None:
        from selfcare.orders import signals
        from selfcare.registrar import checks, receivers, schema

        checks.register()
        # orders does not know the registrar: it signals, the registrar queues its drops (docs/architecture.md).
        signals.sip_password_replaced.connect(receivers.sip_password_replaced, dispatch_uid="registrar_reissue")
        signals.numbers_stopped_today.connect(receivers.numbers_stopped_today, dispatch_uid="registrar_stopped")
        # The view carries the SIP domain and the carrier's time zone from the settings:
        # every migrate brings it in step with them (and grants it to the registrar role).
        post_migrate.connect(schema.sync_after_migrate, sender=self, dispatch_uid="registrar_schema_sync")
