"""A supplier's team: invitations, roles and removal, always keeping at least one admin.

A supplier admin places colleagues in their supplier. An invitation is a User with no usable
password plus a Membership; the e-mail carries Django's password-reset token, so "accepting" is
choosing a password on the existing reset page and no invitation table is needed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..models import Membership, Supplier, User


def _require_supplier_admin(actor: User, supplier_id: int) -> None:
    """A supplier's admins manage its team; operators may too (in the admin)."""
    viewer = viewer_of(actor)
    if viewer.is_operator:
        return
    if not (viewer.is_supplier_staff and viewer.supplier_id == supplier_id and viewer.is_admin):
        raise ApplicationError("Only an admin of this supplier manages its team.", code="forbidden")


def _require_supplier_role(role: str) -> None:
    if role not in Membership.SUPPLIER_ROLES:
        raise ApplicationError("Choose viewer, responder or admin.", field="role")


ONLY_ADMIN = "This is the team's only admin. Make someone else admin first."


def _lock_admins(supplier_id: int) -> list[int]:
    """Lock the supplier's admins in a fixed order, so that two admins demoting or removing each
    other at once cannot both succeed and leave the supplier without one."""
    return list(
        Membership.objects.admins_of(supplier_id)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def is_only_admin(membership: Membership, admins: list[int] | None = None) -> bool:
    """The supplier's last admin, whom nobody may demote or remove: the team would have nobody
    to manage it. `admins`: the supplier's admins as the services locked them (_lock_admins);
    read now when not given, as a form asks before the service asks again under its lock."""
    if membership.supplier_id is None or membership.role != Membership.Role.ADMIN:
        return False
    if admins is None:
        admins = list(
            Membership.objects.admins_of(membership.supplier_id).values_list("pk", flat=True)
        )
    return admins == [membership.pk]


def _require_another_admin(membership: Membership, admins: list[int]) -> None:
    if is_only_admin(membership, admins):
        raise ApplicationError(ONLY_ADMIN, field="role")


@transaction.atomic
def membership_invite(
    *,
    supplier: Supplier,
    invited_by: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Add a colleague to a supplier's team and e-mail them a link to choose their password.

    An address that already belongs to a party (a buyer organization or another supplier) or to an
    operator is refused: one person, one party. An account without a party yet joins the team.
    """
    _require_supplier_admin(invited_by, supplier.pk)
    _require_supplier_role(role)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError("Enter a valid e-mail address.", field="email") from exc
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        party = user.party
        if party is not None and party.supplier_id == supplier.pk:
            raise ApplicationError("This person is already in your team.", field="email")
        if party is not None or user.is_staff or user.is_superuser:
            raise ApplicationError(
                "This address already belongs to another account on supplierwatch, so it cannot "
                "join your team. Ask your colleague for their work address at your company.",
                field="email",
            )
        user.first_name = user.first_name or first_name.strip()
        user.last_name = user.last_name or last_name.strip()
        user.is_active = True
        user.save(update_fields=["first_name", "last_name", "is_active"])
    else:
        try:
            with transaction.atomic():
                # No password: the person chooses one through the link in the e-mail.
                user = User.objects.create_user(
                    email=email,
                    password=None,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                )
        except IntegrityError as exc:
            raise ApplicationError(
                "This address was registered a moment ago; try again.", field="email"
            ) from exc
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, supplier=supplier, role=role)
    except IntegrityError as exc:
        raise ApplicationError(
            "This address already belongs to another account on supplierwatch.", field="email"
        ) from exc
    # Sent only once the rows are committed, and never from inside the transaction.
    # robust: a mail server that is down must not turn a saved invitation into an error page;
    # the team page offers to send the e-mail again.
    transaction.on_commit(
        lambda: membership_send_invitation(membership_id=membership.pk, invited_by=invited_by),
        robust=True,
    )
    return membership


def membership_send_invitation(*, membership_id: int, invited_by: User | None = None) -> None:
    """E-mail the set-password link. The token expires after PASSWORD_RESET_TIMEOUT and is spent
    once a password is chosen (the token covers the password hash and the last login)."""
    membership = (
        Membership.objects.select_related("user", "supplier").filter(pk=membership_id).first()
    )
    if membership is None or membership.supplier_id is None:
        return
    user = membership.user
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "supplier": membership.supplier,
        "role": membership.get_role_display(),
        "invited_by": invited_by.display_name if invited_by else "An admin",
        "link": f"{settings.SITE_URL}{path}",
        "login_url": f"{settings.SITE_URL}{reverse('login')}",
        "has_password": user.has_usable_password(),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("emails/team_invitation_subject.txt", context).strip()
    body = render_to_string("emails/team_invitation.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Change a colleague's role; a supplier always keeps at least one admin."""
    if membership.supplier_id is None:
        raise ApplicationError("Only supplier staff have these roles.", field="role")
    _require_supplier_admin(actor, membership.supplier_id)
    _require_supplier_role(role)
    admins = _lock_admins(membership.supplier_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    _require_another_admin(membership, admins)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove a colleague from the team; their account is deactivated, their answers stay.

    Nobody removes themselves (another admin does it) and the last admin is never removed.
    """
    if membership.supplier_id is None:
        raise ApplicationError("Only supplier staff are managed here.")
    _require_supplier_admin(actor, membership.supplier_id)
    if membership.user_id == actor.pk:
        raise ApplicationError("You cannot remove yourself. Ask another admin to do it.")
    admins = _lock_admins(membership.supplier_id)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    _require_another_admin(membership, admins)
    user = membership.user
    membership.delete()
    # Without a party the account sees nothing anyway; inactive, its open sessions end too.
    user.is_active = False
    user.save(update_fields=["is_active"])
