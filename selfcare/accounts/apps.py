from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "selfcare.accounts"
    label = "accounts"
    verbose_name = _("Customers and plans")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from selfcare.accounts.services import enrolment_codes_void_on_authenticator_removal

        post_delete.connect(
            enrolment_codes_void_on_authenticator_removal,
            sender=TOTPDevice,
            dispatch_uid="selfcare.accounts.enrolment_codes_void_on_authenticator_removal",
        )
