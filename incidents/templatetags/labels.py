"""{% label_form post %}: the label-correction form of one public post, for those who may use it."""

from __future__ import annotations

from django import template

from supplierwatch.viewers import viewer_of

from ..models import Category, Post
from ..views.labels import label_categories

register = template.Library()


@register.inclusion_tag("incidents/_label_form.html", takes_context=True)
def label_form(context: template.Context, post: Post) -> dict:
    """Renders nothing for buyer reports or for people who cannot correct labels.

    The POST view checks the full rule (services.may_relabel: the post is matched to the viewer's
    supplier); a page that shows a supplier's evidence only needs to know that the viewer acts for
    it. The page's view puts the categories in its context once (`label_categories`).
    """
    request = context.get("request")
    viewer = viewer_of(getattr(request, "user", None))
    can_label = not post.is_buyer_post and viewer.may_act
    categories: list[Category] = []
    if can_label:
        categories = context.get("label_categories") or label_categories()
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "can_label": can_label,
        "label_categories": categories,
    }
