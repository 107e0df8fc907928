from django.apps import AppConfig


class ByodConfig(AppConfig):
    name = "byod"
    verbose_name = "Bring your own database"

    def ready(self) -> None:
        from byod import conf, schedule
        from byod.inputs import allowed_hosts

        # A bad setting stops the process now, naming the variable and its rule.
        conf.load()
        allowed_hosts()  # each entry parses, or ImproperlyConfigured
        schedule.register()  # the scheduler's entries (it reads them in every process)
