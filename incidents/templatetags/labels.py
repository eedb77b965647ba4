"""{% label_form post %}: the label-correction form of one public post, for those who may use it."""

from __future__ import annotations

from django import template

from suppliers.models import Membership

from ..models import Post
from ..views.labels import label_categories

register = template.Library()

_ACTING_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


@register.inclusion_tag("incidents/_label_form.html", takes_context=True)
def label_form(context: template.Context, post: Post) -> dict:
    """Renders nothing for buyer reports or for people who cannot correct labels.

    The POST view checks the full rule (the post is matched to the user's supplier); here a page
    that shows a supplier's evidence only needs the role. Categories are read once per page.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    membership = user.party if user is not None and user.is_authenticated else None
    can_label = not post.is_buyer_post and (
        bool(user and user.is_superuser)
        or (
            membership is not None
            and membership.is_supplier_staff
            and membership.role in _ACTING_ROLES
        )
    )
    if can_label and "label_categories" not in context.render_context:
        context.render_context["label_categories"] = label_categories()
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "can_label": can_label,
        "label_categories": context.render_context.get("label_categories", []),
    }
