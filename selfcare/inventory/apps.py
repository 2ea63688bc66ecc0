from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "selfcare.inventory"
    label = "inventory"
    verbose_name = "Inventory"
