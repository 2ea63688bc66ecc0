from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the embedded mode (``seed_demo``): on top of every other app, so no app depends on it."""

    name = "selfcare.demo"
    label = "demo"
    verbose_name = "Demo data"
