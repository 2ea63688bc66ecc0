from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "selfcare.core"
    label = "core"
    verbose_name = "core"
