from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "selfcare.inventory"
    label = "inventory"
    verbose_name = _("050 number inventory")

    def ready(self) -> None:
        from selfcare.inventory.metrics import pool_gauges
        from selfcare.ops.collectors import database_gauges

        database_gauges(pool_gauges)
