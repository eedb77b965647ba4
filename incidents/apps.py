from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Evidence and incidents"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, pre_delete

        from suppliers.models import Organization
        from suppliers.signals import colleague_stopped_acting

        from .models import Category
        from .services import deletions
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
        # Deleting an organization (its posts) or a category leaves every count right.
        pre_delete.connect(
            deletions.on_organization_deleting,
            sender=Organization,
            dispatch_uid="incidents-organization-deleting",
        )
        post_delete.connect(
            deletions.on_organization_deleted,
            sender=Organization,
            dispatch_uid="incidents-organization-deleted",
        )
        post_delete.connect(
            deletions.on_category_deleted,
            sender=Category,
            dispatch_uid="incidents-category-deleted",
        )
