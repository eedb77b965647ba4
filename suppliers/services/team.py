"""A team (a supplier's staff, or a buyer organization's members): invitations, roles and
removal, always keeping at least one admin.

A team's admin invites an address (an Invitation row and an e-mail); its owner accepts through
the e-mailed link by choosing a password, and only then is an account made or placed in the team.
Suppliers' roles are viewer / responder / admin, organizations' member / admin.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..models import Invitation, Membership, Organization, Supplier, User
from ..signals import colleague_stopped_acting

# A team: a supplier's staff or a buyer organization's members.
Party = Supplier | Organization


def team_of(party: Party) -> dict[str, Any]:
    """The filter of a party's rows (memberships, invitations): `supplier_id` or
    `organization_id`."""
    if isinstance(party, Supplier):
        return {"supplier_id": party.pk}
    return {"organization_id": party.pk}


def _require_admin(actor: User, party: Party) -> None:
    """A team's admins manage it; operators may too (in the admin)."""
    viewer = viewer_of(actor)
    if viewer.is_operator:
        return
    own = (
        viewer.supplier_id == party.pk
        if isinstance(party, Supplier)
        else viewer.organization_id == party.pk
    )
    if not (own and viewer.is_admin):
        raise ApplicationError(f"Only an admin of {party} manages its team.", code="forbidden")


def _require_role(party: Party, role: str) -> None:
    if isinstance(party, Supplier):
        if role not in Membership.SUPPLIER_ROLES:
            raise ApplicationError("Choose viewer, responder or admin.", field="role")
    elif role not in Membership.BUYER_ROLES:
        raise ApplicationError("Choose member or admin.", field="role")


ONLY_ADMIN = "This is the team's only admin. Make someone else admin first."


def _admins(party_filter: dict[str, Any]) -> QuerySet[Membership]:
    return Membership.objects.filter(role=Membership.Role.ADMIN, **party_filter)


def _lock_admins(party: Party) -> list[int]:
    """Lock the team's admins in a fixed order, so that two admins demoting or removing each
    other at once cannot both succeed and leave the team without one."""
    return list(
        _admins(team_of(party)).select_for_update().order_by("pk").values_list("pk", flat=True)
    )


def is_only_admin(membership: Membership, admins: list[int] | None = None) -> bool:
    """The team's last admin, whom nobody may demote or remove: the team would have nobody
    to manage it. `admins`: the team's admins as the services locked them (_lock_admins);
    read now when not given, as a form asks before the service asks again under its lock."""
    if membership.role != Membership.Role.ADMIN:
        return False
    if admins is None:
        admins = list(_admins(team_of(membership.party)).values_list("pk", flat=True))
    return admins == [membership.pk]


def _require_another_admin(membership: Membership, admins: list[int]) -> None:
    if is_only_admin(membership, admins):
        raise ApplicationError(ONLY_ADMIN, field="role")


INVITATION_SALT = "suppliers.invitation"


def may_join_a_team(user: User) -> bool:
    """An account that an invitation may place: one without a party (never placed, or removed
    from a team), not an operator's, not an API key's."""
    return (
        user.party is None
        and not user.is_staff
        and not user.is_superuser
        and not user.is_service_account
    )


@transaction.atomic
def membership_invite(
    *,
    supplier: Supplier | None = None,
    organization: Organization | None = None,
    invited_by: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """Invite an address to a team (a `supplier`'s or an `organization`'s): a pending Invitation
    and an e-mail, once committed.

    The admin gets the same answer and the same pending row whatever the address: a supplier admin
    must not learn whether an address has an account (a buyer's, another supplier's, an
    operator's), since that tells which companies use supplierwatch and narrows down who reported
    anonymously. Only an address already in this team is refused, as the admin sees the team anyway.
    Inviting it again updates the role and names and sends the e-mail again.

    What happens is decided by whoever owns the address, through the e-mail (invitation_send):
    - no account, or an account without a party: a link to choose a password and join
      (invitation_accept);
    - an account of another party or an operator: a neutral e-mail saying that nothing changed,
      without a link. One person, one party: nothing joins.
    Nothing else is created or changed before the owner acts: no account exists for an address
    that nobody accepted, so no admin can reserve another party's address by inviting it.
    """
    party: Party | None = supplier or organization
    if party is None or (supplier is not None and organization is not None):
        raise ApplicationError("Invite to one team: a supplier's or an organization's.")
    _require_admin(invited_by, party)
    _require_role(party, role)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError("Enter a valid e-mail address.", field="email") from exc
    if Membership.objects.filter(user__email__iexact=email, **team_of(party)).exists():
        raise ApplicationError("This person is already in your team.", field="email")
    try:
        with transaction.atomic():
            invitation, _ = Invitation.objects.update_or_create(
                **team_of(party),
                email=email,
                defaults={
                    "role": role,
                    "first_name": first_name.strip(),
                    "last_name": last_name.strip(),
                    "invited_by": invited_by,
                    "sent_at": timezone.now(),
                },
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "This address was invited a moment ago; try again.", field="email"
        ) from exc
    # Sent only once the row is committed, and never from inside the transaction.
    # robust: a mail server that is down must not turn a saved invitation into an error page;
    # the team page offers to send the e-mail again.
    transaction.on_commit(lambda: invitation_send(invitation_id=invitation.pk), robust=True)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> None:
    """E-mail a pending invitation again, with a fresh link."""
    _require_admin(actor, invitation.party)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    transaction.on_commit(lambda: invitation_send(invitation_id=invitation.pk), robust=True)


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor: User) -> None:
    """Withdraw a pending invitation: its links stop working."""
    _require_admin(actor, invitation.party)
    Invitation.objects.filter(pk=invitation.pk).delete()


def invitation_token(invitation: Invitation) -> str:
    """The link's secret: signed (SECRET_KEY) and timed; spent when the invitation is accepted or
    withdrawn, since it names the row."""
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a link stands for, or None when it is forged, expired or spent."""
    try:
        found = signing.loads(token, salt=INVITATION_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(found, dict) or not isinstance(found.get("i"), int):
        return None
    return (
        Invitation.objects.select_related("supplier", "organization", "invited_by")
        .filter(pk=found["i"], email=found.get("e"))
        .first()
    )


def invitation_send(*, invitation_id: int) -> None:
    """E-mail the owner of an invited address: a link to join, or, when the address's account
    belongs to another party or an operator, a neutral word that nothing changed."""
    invitation = (
        Invitation.objects.select_related("supplier", "organization", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return
    account = User.objects.filter(email__iexact=invitation.email).first()
    joinable = account is None or may_join_a_team(account)
    path = reverse("team-join", kwargs={"token": invitation_token(invitation)})
    context = {
        "email": invitation.email,
        # The account's own name when there is one: the inviter's typing is a guess.
        "first_name": (account.first_name if account else "") or invitation.first_name,
        "supplier": invitation.party,
        "is_buyer": invitation.organization_id is not None,
        "role": invitation.get_role_display(),
        "invited_by": _inviter_name(invitation.invited_by),
        "link": f"{settings.SITE_URL}{path}" if joinable else "",
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    kind = "team_invitation" if joinable else "team_invitation_not_possible"
    subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
    body = render_to_string(f"emails/{kind}.txt", context)
    send_mail(subject, body, None, [invitation.email])


def _inviter_name(inviter: User | None) -> str:
    return inviter.display_name if inviter else "An admin"


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """The owner of an invited address joins the team, with the password they chose just now.

    The link proves the address. Threat model: an admin of any supplier may invite any address,
    including that of someone another supplier removed (whose account was deactivated, old password
    and all). Such an account is revived only here, by whoever reads the address's mail, and with
    the password chosen now: the old password never works again, so nobody who learnt it (the
    removed person's former employer, a leaked list) gets into the account through a new team.
    An account of another party or an operator never joins (one person, one party).
    """
    pending = (
        # Only the invitation's row: the inviter's side of the join may be null.
        Invitation.objects.select_for_update(of=("self",))
        .select_related("supplier", "organization", "invited_by")
        .filter(pk=invitation.pk)
        .first()
    )
    if pending is None:
        raise ApplicationError("This invitation is no longer valid.")
    invitation = pending
    user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if user is None:
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
    elif not may_join_a_team(user):
        raise ApplicationError(
            "This address already has an account that belongs elsewhere on supplierwatch, and "
            "an account belongs to one organization only. Ask "
            f"{_inviter_name(invitation.invited_by)} to invite another address of yours.",
            code="forbidden",
        )
    else:
        user.set_password(password)
        user.is_active = True
        user.first_name = user.first_name or invitation.first_name
        user.last_name = user.last_name or invitation.last_name
        user.save(update_fields=["password", "is_active", "first_name", "last_name"])
    try:
        with transaction.atomic():
            Membership.objects.create(
                user=user,
                supplier=invitation.supplier,
                organization=invitation.organization,
                role=invitation.role,
            )
    except IntegrityError as exc:  # placed elsewhere a moment ago
        raise ApplicationError(
            "This address joined a team a moment ago.", code="forbidden"
        ) from exc
    invitation.delete()
    return user


def membership_send_invitation(*, membership_id: int, invited_by: User | None = None) -> None:
    """E-mail a member who has no password yet (an operator placed them in the admin) a link to
    choose one: Django's password reset token, spent once a password is chosen (it covers the
    password hash and the last login) and expiring after PASSWORD_RESET_TIMEOUT."""
    membership = (
        Membership.objects.select_related("user", "supplier", "organization")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
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
        "email": user.email,
        "first_name": user.first_name,
        "supplier": membership.party,
        "is_buyer": membership.is_buyer,
        "role": membership.get_role_display(),
        "invited_by": _inviter_name(invited_by),
        "link": f"{settings.SITE_URL}{path}",
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("emails/team_invitation_subject.txt", context).strip()
    body = render_to_string("emails/team_invitation.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Change a colleague's role; a team always keeps at least one admin. A supplier's colleague
    made a viewer may no longer act: their open incidents go back to the team
    (colleague_stopped_acting, in this transaction)."""
    party = membership.party
    _require_admin(actor, party)
    _require_role(party, role)
    admins = _lock_admins(party)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    _require_another_admin(membership, admins)
    could_act = membership.role in Membership.ACTING_ROLES
    membership.role = role
    membership.save(update_fields=["role"])
    if membership.supplier_id is not None and could_act and role not in Membership.ACTING_ROLES:
        colleague_stopped_acting.send(
            sender=Membership,
            supplier_id=membership.supplier_id,
            user=membership.user,
            actor=actor,
            reason="viewer",
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove a colleague from the team; their account is deactivated, their answers stay, and
    their open incidents go back to the team (colleague_stopped_acting, in this transaction).

    Nobody removes themselves (another admin does it) and the last admin is never removed.
    """
    party = membership.party
    _require_admin(actor, party)
    if membership.user_id == actor.pk:
        raise ApplicationError("You cannot remove yourself. Ask another admin to do it.")
    admins = _lock_admins(party)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    _require_another_admin(membership, admins)
    user = membership.user
    if membership.supplier_id is not None:
        colleague_stopped_acting.send(
            sender=Membership,
            supplier_id=membership.supplier_id,
            user=user,
            actor=actor,
            reason="left",
        )
    membership.delete()
    # Without a party the account sees nothing anyway; inactive, its open sessions end too.
    user.is_active = False
    user.save(update_fields=["is_active"])
