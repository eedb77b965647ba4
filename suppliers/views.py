"""The team pages: a supplier's (/portal/team/) and a buyer organization's (/buyer/team/), where
an admin invites colleagues, sets roles, removes people; the page where an invited person accepts
(/portal/team/join/<token>/); and a buyer organization's vendor codes (/buyer/vendor-codes/).

Each POST validates a form and calls one service of suppliers.services. Only a team's admins get
its pages (403 for everyone else); another team's member or invitation is a 404, like a missing
one. The team's actions are posted to the same addresses (under /portal/team/) by both kinds of
team; each comes back to its own team page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal

from . import services
from .forms import TeamInviteForm, TeamRoleForm, VendorCodeAddForm
from .models import Invitation, Membership, User, VendorCode, person


def team_admin_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = person(request.user).party  # login_required: a signed-in person
        if membership is None or not membership.is_admin:
            raise PermissionDenied("Only a team's admins manage it.")
        return view(request, membership, *args, **kwargs)

    return wrapper


def organization_admin_required(view: Callable) -> Callable:
    @team_admin_required
    @wraps(view)
    def wrapper(request: HttpRequest, membership: Membership, *args, **kwargs) -> HttpResponse:
        if not membership.is_buyer:
            raise PermissionDenied("Only a buyer organization's admins keep its vendor codes.")
        return view(request, membership, *args, **kwargs)

    return wrapper


def _team_page(membership: Membership) -> str:
    return "buyer-team" if membership.is_buyer else "team"


def _colleague(membership: Membership, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.people().select_related("user"),
        pk=pk,
        **services.team_of(membership.party),
    )


def _render_team(
    request: HttpRequest,
    membership: Membership,
    *,
    invite_form: TeamInviteForm | None = None,
    row_error: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    team_filter = services.team_of(membership.party)
    buyer = membership.is_buyer
    team = (
        Membership.objects.people()
        .filter(**team_filter)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    rows = [
        {
            "membership": colleague,
            "is_me": colleague.pk == membership.pk,
            "form": TeamRoleForm(
                initial={"role": colleague.role}, prefix=f"m{colleague.pk}", buyer=buyer
            ),
            "error": row_error[1] if row_error and row_error[0] == colleague.pk else "",
        }
        for colleague in team
    ]
    context = {
        "supplier": membership.party,
        "membership": membership,
        "rows": rows,
        "invitations": Invitation.objects.filter(**team_filter).order_by("email"),
        "invite_form": invite_form or TeamInviteForm(buyer=buyer),
    }
    return render(request, "portal/team.html", context, status=status)


@team_admin_required
def team(request: HttpRequest, membership: Membership) -> HttpResponse:
    # Each kind of team at its own address (a bookmark of the other one still leads here).
    if request.resolver_match and request.resolver_match.url_name != _team_page(membership):
        return redirect(_team_page(membership))
    return _render_team(request, membership)


@require_POST
@team_admin_required
def team_invite(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TeamInviteForm(request.POST, buyer=membership.is_buyer)
    if form.is_valid():
        try:
            invited = services.membership_invite(
                supplier=membership.supplier,
                organization=membership.organization,
                invited_by=person(request.user),
                **form.cleaned_data,
            )
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            # The same words whoever has the address (membership_invite says why).
            messages.success(
                request,
                f"An invitation to join as {invited.get_role_display().lower()} was sent to "
                f"{invited.email}. They appear in the team once they accept it.",
            )
            return redirect(_team_page(membership))
    return _render_team(request, membership, invite_form=form, status=400)


@require_POST
@team_admin_required
def team_role(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    colleague = _colleague(membership, pk)
    form = TeamRoleForm(request.POST, prefix=f"m{colleague.pk}", buyer=membership.is_buyer)
    if not form.is_valid():
        return _render_team(
            request, membership, row_error=(colleague.pk, "Choose a role."), status=400
        )
    try:
        changed = services.membership_set_role(
            membership=colleague, role=form.cleaned_data["role"], actor=person(request.user)
        )
    except ApplicationError as error:
        return _render_team(
            request, membership, row_error=(colleague.pk, error.message), status=400
        )
    messages.success(
        request, f"{changed.user.display_name} is now {changed.get_role_display().lower()}."
    )
    return redirect(_team_page(membership))


@require_POST
@team_admin_required
def team_remove(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    colleague = _colleague(membership, pk)
    try:
        services.membership_remove(membership=colleague, actor=person(request.user))
    except ApplicationError as error:
        return _render_team(
            request, membership, row_error=(colleague.pk, error.message), status=400
        )
    messages.success(request, f"{colleague.user.display_name} was removed from the team.")
    return redirect(_team_page(membership))


@require_POST
@team_admin_required
def team_resend(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    colleague = _colleague(membership, pk)
    if colleague.user.has_usable_password():
        messages.info(request, f"{colleague.user.email} has already chosen a password.")
    else:
        services.membership_send_invitation(
            membership_id=colleague.pk, invited_by=person(request.user)
        )
        messages.success(request, f"The invitation was sent again to {colleague.user.email}.")
    return redirect(_team_page(membership))


def _invitation(membership: Membership, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, **services.team_of(membership.party))


@require_POST
@team_admin_required
def team_invitation_resend(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    invitation = _invitation(membership, pk)
    services.invitation_resend(invitation=invitation, actor=person(request.user))
    messages.success(request, f"The invitation was sent again to {invitation.email}.")
    return redirect(_team_page(membership))


@require_POST
@team_admin_required
def team_invitation_withdraw(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    invitation = _invitation(membership, pk)
    services.invitation_withdraw(invitation=invitation, actor=person(request.user))
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect(_team_page(membership))


def team_join(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: the invited person chooses a password and joins. Open to visitors, as
    the link is the proof; a forged, expired or spent link shows the same "no longer valid"."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "portal/team_join.html", {"invitation": None}, status=404)
    # For the password validators (not too close to the address or the name); never saved here.
    candidate = User(
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    form = SetPasswordForm(candidate, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invitation, password=form.cleaned_data["new_password1"]
                )
            except ApplicationError as error:
                add_refusal(form, error, field="")
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to the {invitation.party} team.")
                return redirect("home")
        status = 400
    context = {"invitation": invitation, "form": form}
    return render(request, "portal/team_join.html", context, status=status)


# --- A buyer organization's vendor codes ---------------------------------------------------------


def _render_vendor_codes(
    request: HttpRequest, membership: Membership, form: VendorCodeAddForm, status: int = 200
) -> HttpResponse:
    assert membership.organization_id is not None  # organization_admin_required
    codes = (
        VendorCode.objects.filter(organization_id=membership.organization_id)
        .select_related("supplier")
        .order_by("code")
    )
    context = {"organization": membership.organization, "codes": codes, "form": form}
    return render(request, "buyer/vendor_codes.html", context, status=status)


@organization_admin_required
def vendor_codes(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method != "POST":
        return _render_vendor_codes(request, membership, VendorCodeAddForm())
    form = VendorCodeAddForm(request.POST)
    if form.is_valid():
        organization = membership.organization
        assert organization is not None  # organization_admin_required
        try:
            added = services.vendor_code_add(
                organization=organization, actor=person(request.user), **form.cleaned_data
            )
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Vendor code {added.code} names {added.supplier.name}.")
            return redirect("buyer-vendor-codes")
    return _render_vendor_codes(request, membership, form, status=400)


@require_POST
@organization_admin_required
def vendor_code_remove(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    assert membership.organization_id is not None  # organization_admin_required
    code = get_object_or_404(
        VendorCode.objects.select_related("organization"),
        pk=pk,
        organization_id=membership.organization_id,
    )
    services.vendor_code_remove(vendor_code=code, actor=person(request.user))
    messages.success(request, f"Vendor code {code.code} was removed.")
    return redirect("buyer-vendor-codes")
