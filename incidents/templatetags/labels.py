"""{% label_form post %}: the label-correction form of one public post, for those who may use it."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from supplierwatch.viewers import Viewer, viewer_of

from ..models import Category, Post
from ..services import may_correct_labels

register = template.Library()

# The render context's key for the categories in use: read once per rendering of a page.
_CATEGORIES = "incidents.label_categories"


@register.inclusion_tag("incidents/_label_form.html", takes_context=True)
def label_form(context: template.Context, post: Post) -> dict:
    """Renders nothing for buyer reports or for people who cannot correct labels.

    The pages show only evidence of incidents the viewer may see, which are its own supplier's, so
    the form is offered by services.may_correct_labels (no query per post); the service checks the
    whole rule (may_relabel) when the correction is sent.
    """
    request = context.get("request")
    # The page's viewer, from the context processor (supplierwatch.context_processors.viewer);
    # the request's, where the tag is rendered without it (a plain Context).
    viewer: Viewer = context.get("viewer") or viewer_of(getattr(request, "user", None))
    can_label = not post.is_buyer_post and may_correct_labels(viewer)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "can_label": can_label,
        # Operators correct directly; a supplier's staff dispute instead (services.disputes).
        "corrects_directly": viewer.is_operator,
        "label_categories": _categories(context) if can_label else [],
    }


def _categories(context: template.Context) -> list[Category]:
    """The categories in use, queried once per rendering of a page, even when there are none.

    Each included template (every piece of evidence) gets its own top level of the render
    context, so they are kept at its bottom level, which lives as long as the rendering (as
    Django's {% include %} keeps its templates)."""
    shared = cast("dict[str, Any]", context.render_context.dicts[0])
    if _CATEGORIES not in shared:
        shared[_CATEGORIES] = list(Category.objects.active())
    return cast("list[Category]", shared[_CATEGORIES])


@register.simple_tag
def category_options(categories: list[Category], selected_id: int | None) -> SafeString:
    """The label form's category options, the chosen one selected, written in one pass: the
    portal shows a form for each public post of a page, each offering every category."""
    selected = mark_safe(" selected")
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((c.pk, selected if c.pk == selected_id else "", c.name) for c in categories),
    )
