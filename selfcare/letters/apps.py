from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "selfcare.letters"
    label = "letters"
    verbose_name = "Letters"
