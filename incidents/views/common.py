"""What every page of the product shares: who may open it, pages of rows, and what both incident
pages (the buyers' and the portal's) show of one incident."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from supplierwatch.viewers import Viewer, viewer_of

from .. import selectors
from ..charts import RANGES, TimeRange, time_range
from ..forms import IncidentFilterForm
from ..presenters import answer_view, evidence_view, incident_view, reply_view

if TYPE_CHECKING:
    from suppliers.models import Membership, User

    from ..models import Incident

Row = TypeVar("Row")
# A page, or a file streamed (an export).
View = Callable[..., HttpResponseBase]


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (settings.MIDDLEWARE): with `htmx`, the
    details of an htmx request (false for any other request)."""

    htmx: HtmxDetails


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their home: buyers to /buyer/, supplier staff to /portal/."""
    if not request.user.is_authenticated:
        return redirect("login")
    viewer = viewer_of(request.user)
    if viewer.is_buyer:
        return redirect("buyer-home")
    if viewer.is_supplier_staff:
        return redirect("portal-home")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "no_party.html", status=403)


def viewer_required(
    allowed: Callable[[Viewer], bool], *, hidden: bool = False
) -> Callable[[View], View]:
    """Pages for some viewers only (403 for the others; 404 when `hidden`, for pages about one
    incident, which to anyone else do not exist); the view gets the Viewer after the request."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            viewer = viewer_of(request.user)
            if not allowed(viewer):
                if hidden:
                    raise Http404("No such page.")
                raise PermissionDenied("This page belongs to another kind of account.")
            return view(request, viewer, *args, **kwargs)

        return wrapper

    return decorator


buyer_required = viewer_required(lambda viewer: viewer.is_buyer)
# Operators see everything, the buyers' pages included; supplier staff use the portal's pages.
buyer_or_operator_required = viewer_required(lambda v: v.is_buyer or v.is_operator)
supplier_staff_required = viewer_required(lambda viewer: viewer.is_supplier_staff)
# The 8D's pages about one incident: the other side's route is a 404, as a missing incident.
supplier_staff_or_404 = viewer_required(lambda viewer: viewer.is_supplier_staff, hidden=True)
buyer_or_operator_or_404 = viewer_required(lambda v: v.is_buyer or v.is_operator, hidden=True)
# A supplier's admins (who manage its team and its assignment rules).
supplier_admin_required = viewer_required(lambda v: v.is_supplier_staff and v.is_admin)


def filtered_incidents(
    request: HttpRequest, viewer: Viewer, form: IncidentFilterForm
) -> tuple[IncidentFilterForm, QuerySet[Incident]]:
    """An incident list's form and its incidents (a list, its export and a saved view read the
    same). An invalid field is shown with its error and left out of the filter."""
    if form.is_bound:
        form.is_valid()
    return form, selectors.incident_search(viewer=viewer, **form.search_arguments())


def membership_of(request: HttpRequest) -> Membership:
    """The signed-in person's membership: the decorators above let only people with one in. It is
    loaded once per request, and the page's header reads the same one."""
    membership = cast("User", request.user).party
    assert membership is not None
    return membership


def page_of(
    request: HttpRequest,
    items: Sequence[Any] | QuerySet[Any, Any],
    param: str = "page",
    per_page: int = 20,
    *,
    count: int | None = None,
) -> Page[Any]:
    """One page of `items`, chosen by the query parameter `param`; links keep the other
    parameters (`previous_link`, `next_link`). `count`, when the caller knows how many items there
    are (a stored counter), spares counting them."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached_property, given instead of counted
    page: Page[Any] = paginator.get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""  # type: ignore[attr-defined]
    page.next_link = link(page.next_page_number()) if page.has_next() else ""  # type: ignore[attr-defined]
    return page


def present(page: Page, show: Callable[[Any], Row]) -> Page:
    """The page with each of its rows as the presenters show it (for this viewer)."""
    page.object_list = [show(row) for row in page.object_list]
    return page


def incident_or_target(viewer: Viewer, pk: int, url_name: str) -> Incident | HttpResponse:
    """The incident `pk` as the viewer's list shows it; for a merged one, a redirect to the
    incident it was merged into (as a missing one for whoever may not follow it there)."""
    incident = selectors.incident_list(viewer=viewer).filter(pk=pk).first()
    if incident is not None and not incident.is_merged:
        return incident
    if (target := selectors.merged_incident_target(viewer=viewer, pk=pk)) is not None:
        return redirect(url_name, pk=target.pk)
    raise Http404("No such incident.")


def incident_page(
    request: HttpRequest,
    viewer: Viewer,
    incident: Incident,
    *,
    evidence_param: str,
    evidence_per_page: int = 20,
) -> dict[str, Any]:
    """The context both incident pages start from: the incident as this viewer sees it
    (`incident`), the private reports in it the viewer may see (`private_reports`: its
    organization's, all of them for operators, none for a supplier's staff), a page of the
    evidence the viewer may read, newest first, chosen by the query parameter `evidence_param`
    (`evidence`), and the answers and replies the viewer may read (`answers`, `replies`).

    However long the evidence, a page costs the same: its length is the stored counters' (the
    shareable evidence, which the viewer may all read, and the private reports it may see), the
    page is chosen among ids, and only its own posts are loaded."""
    private_reports = 0
    if not viewer.is_supplier_staff:
        private_reports = selectors.incident_private_reports(viewer=viewer, incident=incident)
    evidence = page_of(
        request,
        selectors.incident_evidence_ids(viewer=viewer, incident=incident),
        evidence_param,
        evidence_per_page,
        count=incident.post_count + private_reports,
    )
    evidence.object_list = selectors.incident_evidence(viewer=viewer, incident=incident).filter(
        pk__in=list(evidence.object_list)
    )
    return {
        "incident": incident_view(incident, viewer),
        "private_reports": private_reports,
        "evidence": present(evidence, lambda post: evidence_view(post, viewer)),
        "answers": [
            answer_view(answer, viewer)
            for answer in selectors.incident_answers(viewer=viewer, incident=incident)
        ],
        "replies": [
            reply_view(reply, viewer)
            for reply in selectors.incident_replies(viewer=viewer, incident=incident)
        ],
    }


def chosen_range(request: HttpRequest, default: str) -> tuple[TimeRange, str]:
    """The `range` parameter of a trend or a dashboard (charts.RANGES), or `default` with a note
    saying why when it names no range."""
    return time_range(request.GET.get("range"), default)


RANGE_CHOICES = [(r.key, r.label.removeprefix("last ").capitalize()) for r in RANGES.values()]
