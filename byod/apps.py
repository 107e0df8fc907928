from django.apps import AppConfig


class ByodConfig(AppConfig):
    name = "byod"
    verbose_name = "Bring your own database"

    def ready(self) -> None:
        from django.tasks.signals import task_finished, task_started

        from byod import conf, metrics, schedule
        from byod.inputs import allowed_hosts
        from byod.services.moves import switch, switching

        # A bad setting stops the process now, naming the variable and its rule.
        conf.load()
        allowed_hosts()  # each entry parses, or ImproperlyConfigured
        schedule.register()  # the scheduler's entries (it reads them in every process)
        # Every task, whichever backend runs it (the database's workers, the immediate one).
        task_started.connect(metrics.task_started, dispatch_uid="byod.metrics.task_started")
        task_finished.connect(metrics.task_finished, dispatch_uid="byod.metrics.task_finished")
        # A move that handed new credentials over: the new deployment's first deploy.
        switching.credentials_switched.connect(
            switch.deploy_switched, dispatch_uid="byod.moves.deploy_switched"
        )
