from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "selfcare.orders"
    label = "orders"
    verbose_name = "Orders"
