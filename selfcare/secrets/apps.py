from django.apps import AppConfig


class SecretsConfig(AppConfig):
    # No models and no page of its own: its commands and jobs act on the other apps' secret columns.
    name = "selfcare.secrets"
    label = "secrets"
