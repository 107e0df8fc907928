from django.apps import AppConfig


class ByodConfig(AppConfig):
    name = "byod"
    verbose_name = "Bring your own database"

    def ready(self) -> None:
        from byod import schedule  # the scheduler's entries (it reads them in every process)

        schedule.register()
