from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Evidence and incidents"

    def ready(self) -> None:
        from suppliers.signals import colleague_stopped_acting

        from .services.assignments import on_colleague_stopped_acting
        from .services.eightd import on_colleague_stopped_owning

        # A colleague who may no longer act keeps no incidents and owns no unfinished 8D
        # discipline (suppliers never imports us).
        colleague_stopped_acting.connect(
            on_colleague_stopped_acting, dispatch_uid="incidents-return-to-team"
        )
        colleague_stopped_acting.connect(
            on_colleague_stopped_owning, dispatch_uid="incidents-eight-d-unowned"
        )
