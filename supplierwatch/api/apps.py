from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "supplierwatch.api"
    label = "api"
    verbose_name = "API: idempotent requests"
