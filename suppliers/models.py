"""Who: buyer organizations, suppliers, how to recognise a supplier, and who belongs to which party."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from supplierwatch.viewers import Kind, Viewer

from . import inputs


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str | None) -> User:
        # People type their address in any case; it is stored lower-cased.
        return self.get(email__iexact=email)

    def colleagues_of(self, supplier_id: int) -> models.QuerySet[User]:
        """The people of a supplier's team: active, and persons (an API key's service user is
        nobody's colleague)."""
        return self.filter(
            membership__supplier_id=supplier_id, is_active=True, is_service_account=False
        ).order_by("first_name", "last_name", "email")

    def assignable_at(self, supplier_id: int) -> models.QuerySet[User]:
        """The colleagues who can be given an incident: those who may act on it (responders and
        admins). A viewer only reads, so work given to one would wait for nobody."""
        return self.colleagues_of(supplier_id).filter(membership__role__in=Membership.ACTING_ROLES)


class User(AbstractUser):
    """A person who logs in with an e-mail address. Their party is their Membership."""

    # Django's documented way to drop an inherited field; the stubs type it as a CharField.
    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    # An API key's own user (see integrations): never logs in, is nobody's colleague.
    is_service_account = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs expect django's UserManager (username-based); ours creates users by e-mail.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Addresses are compared without case at login; two that differ only in case would
            # make both accounts unusable.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def party(self) -> Membership | None:
        """The membership, or None for operators and people not yet placed in a party."""
        try:
            return self.membership
        except Membership.DoesNotExist:
            return None

    @property
    def viewer(self) -> Viewer:
        """Who this person is when looking at the product (supplierwatch.viewers)."""
        if self.is_superuser:
            return Viewer.operator(user_id=self.pk)
        membership = self.party
        return membership.viewer if membership is not None else Viewer.nobody()


def person(user: object) -> User:
    """The signed-in person a request acts for (a key's service user, over the API). Views let
    only people in, so anything else is refused as forbidden."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user


class Organization(models.Model):
    """A buyer company. Its members log quality problems with suppliers."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:80]
        super().save(*args, **kwargs)


class Supplier(models.Model):
    """A supplier, shared by every buyer organization: that is what makes 'how widespread' possible."""

    name = models.CharField(max_length=inputs.NAME_MAX)
    slug = models.SlugField(max_length=inputs.SLUG_MAX, unique=True)
    website = models.URLField(max_length=inputs.WEBSITE_MAX, blank=True)
    description = models.TextField(blank=True)
    # Words that make an ambiguous alias credible nearby ("flight" for United), one per entry.
    context_words = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="supplier_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:80]
        super().save(*args, **kwargs)


class SupplierAliasQuerySet(models.QuerySet["SupplierAlias"]):
    def active(self) -> SupplierAliasQuerySet:
        """The aliases that everyone's matching uses."""
        return self.filter(state=SupplierAlias.State.ACTIVE)

    def proposals(self) -> SupplierAliasQuerySet:
        """Buyer organizations' aliases that matching does not use: proposed or rejected."""
        return self.exclude(state=SupplierAlias.State.ACTIVE)

    def known_to(self, organization_id: int | None) -> SupplierAliasQuerySet:
        """The aliases a party looks suppliers up by: the active ones and, for a buyer
        organization, its own proposals, whatever an operator decided of them (they help its own
        search and forms, and no other party's)."""
        if organization_id is None:
            return self.active()
        return self.filter(Q(state=SupplierAlias.State.ACTIVE) | Q(proposed_by_id=organization_id))

    def same_as(self, alias: SupplierAlias) -> SupplierAliasQuerySet:
        """The rows of the same supplier, kind and text (in any case) as `alias`."""
        return self.filter(supplier_id=alias.supplier_id, kind=alias.kind, text__iexact=alias.text)


class SupplierAlias(models.Model):
    """A string that names a supplier in free text: its name, a nickname, @handle, #hashtag, ...

    Who changes what everyone's matching sees: operators, and a supplier's own staff for their
    supplier; their aliases are active at once. A buyer organization proposes one: it helps the
    organization's own search and forms, and reaches matching only once an operator approves it.
    """

    class Kind(models.TextChoices):
        NAME = "name", "Name"
        ALIAS = "alias", "Alias"
        HANDLE = "handle", "@handle"
        HASHTAG = "hashtag", "#hashtag"
        DOMAIN = "domain", "Domain"
        PRODUCT = "product", "Product name"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PROPOSED = "proposed", "Proposed"
        REJECTED = "rejected", "Rejected"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ALIAS)
    text = models.CharField(max_length=inputs.ALIAS_MAX)
    # None: decided automatically (an ordinary word such as "United" is ambiguous); True/False
    # overrides that decision for this alias.
    is_ambiguous = models.BooleanField(
        null=True,
        blank=True,
        help_text="Empty: detected automatically. Ambiguous aliases need supporting evidence.",
    )
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.ACTIVE,
        help_text="Only active aliases are matched. An operator approves or rejects proposals.",
    )
    # The buyer organization that proposed it (kept once approved); empty for aliases of
    # operators and of the supplier's own staff.
    proposed_by = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_aliases",
    )
    reviewed_by = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Part of the matcher's version: an edited alias rebuilds every worker's automaton.
    updated_at = models.DateTimeField(auto_now=True)

    objects = SupplierAliasQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "supplier aliases"
        ordering = ["supplier", "kind", "text"]
        constraints = [
            models.UniqueConstraint(
                "supplier",
                "kind",
                Lower("text"),
                condition=Q(state="active"),
                name="active_alias_unique_per_supplier_ci",
            ),
            # Each organization's proposals are its own: one organization never learns of
            # another's.
            models.UniqueConstraint(
                "supplier",
                "kind",
                Lower("text"),
                "proposed_by",
                condition=~Q(state="active"),
                name="proposal_unique_per_organization_ci",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class VendorCode(models.Model):
    """The number an organization's ERP gives a supplier; differs from company to company."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="vendor_codes"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="vendor_codes")
    code = models.CharField(max_length=inputs.CODE_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "code"]
        constraints = [
            models.UniqueConstraint("organization", "code", name="vendor_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.organization} -> {self.supplier})"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def admins_of(self, supplier_id: int) -> MembershipQuerySet:
        return self.filter(supplier_id=supplier_id, role=Membership.Role.ADMIN)

    def people(self) -> MembershipQuerySet:
        """Memberships of persons: API keys' service accounts are not colleagues."""
        return self.filter(user__is_service_account=False)


class Membership(models.Model):
    """A user's single party: one buyer organization or one supplier, never both, never neither."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"

    SUPPLIER_ROLES = (Role.VIEWER, Role.RESPONDER, Role.ADMIN)
    BUYER_ROLES = (Role.MEMBER, Role.ADMIN)
    # Who of a supplier's staff answers incidents: responders and admins; viewers only read.
    ACTING_ROLES = (Role.RESPONDER, Role.ADMIN)

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        organization__isnull=False,
                        supplier__isnull=True,
                        role__in=["member", "admin"],
                    )
                    | Q(
                        organization__isnull=True,
                        supplier__isnull=False,
                        role__in=["viewer", "responder", "admin"],
                    )
                ),
                name="membership_exactly_one_party_with_its_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} of {self.organization or self.supplier})"

    @property
    def party(self) -> Organization | Supplier:
        party = self.organization or self.supplier
        # A membership always has exactly one party (membership_exactly_one_party_with_its_role).
        assert party is not None, "a membership has exactly one party"
        return party

    @property
    def is_buyer(self) -> bool:
        return self.organization_id is not None

    @property
    def is_supplier_staff(self) -> bool:
        return self.supplier_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def viewer(self) -> Viewer:
        is_supplier = self.supplier_id is not None
        return Viewer(
            Kind.SUPPLIER if is_supplier else Kind.BUYER,
            organization_id=self.organization_id,
            supplier_id=self.supplier_id,
            may_act=is_supplier and self.role in self.ACTING_ROLES,
            is_admin=self.is_admin,
            user_id=self.user_id,
        )


class Invitation(models.Model):
    """An address invited to a team (a supplier's, or a buyer organization's), until its owner
    accepts through the e-mailed link.

    Every address gets the same pending row, whether or not an account has it (of another party,
    say), so that the team page tells the inviting admin nothing about other people's accounts. An
    account joins only once the owner of the address has proved it (suppliers.services.team).
    """

    # The team: one of the two (invitation_exactly_one_party).
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The last e-mail's time: its link works for PASSWORD_RESET_TIMEOUT from then.
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["supplier", "email"]
        constraints = [
            models.UniqueConstraint(
                "supplier", Lower("email"), name="invitation_unique_per_supplier_ci"
            ),
            models.UniqueConstraint(
                "organization", Lower("email"), name="invitation_unique_per_organization_ci"
            ),
            models.CheckConstraint(
                condition=Q(supplier__isnull=False, organization__isnull=True)
                | Q(supplier__isnull=True, organization__isnull=False),
                name="invitation_exactly_one_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role} of {self.party})"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def party(self) -> Organization | Supplier:
        party = self.organization or self.supplier
        assert party is not None, "an invitation has exactly one party"
        return party
