from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class StaffAdminConfig(admin_apps.AdminConfig):
    default = False
    """Django's admin, with the staff site (password, then an authenticator code) as the default site."""

    default_site = "selfcare.backoffice.site.StaffSite"


class BackofficeConfig(AppConfig):
    default = True
    name = "selfcare.backoffice"
    label = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from django.apps import apps
        from django.utils.translation import gettext_lazy as _

        from selfcare.backoffice.roles import roles_sync_after_migrate

        # django-otp's app is called "OTP_TOTP" on every page that names it (index, breadcrumbs, titles).
        if apps.is_installed("django_otp.plugins.otp_totp"):
            apps.get_app_config("otp_totp").verbose_name = _("Staff authenticators")

        # Every app's post_migrate, not this one's: an app without models never sends it (see the receiver).
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="selfcare.backoffice.roles_sync")
