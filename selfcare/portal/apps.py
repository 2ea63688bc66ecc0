from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "selfcare.portal"
    label = "portal"
    verbose_name = "Customer portal"
