from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "selfcare.accounts"
    label = "accounts"
    verbose_name = "Accounts"
