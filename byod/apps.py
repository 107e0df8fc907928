from django.apps import AppConfig


class ByodConfig(AppConfig):
    name = "byod"
    verbose_name = "Bring your own database"
