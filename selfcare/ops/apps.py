from django.apps import AppConfig


class OpsConfig(AppConfig):
    # No models and no page of its own: its name is never shown, so it has no translation.
    name = "selfcare.ops"
    label = "ops"
