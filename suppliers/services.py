"""Every write to suppliers and their aliases: one function per use case, each in a transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email, validate_slug
from django.db import DataError, IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from supplierwatch.errors import ApplicationError

from .models import Membership, Organization, Supplier, SupplierAlias, User, VendorCode

Kind = SupplierAlias.Kind

# Record key -> the alias kind its strings become. The supplier's name is always a `name` alias.
ALIAS_KEYS: dict[str, str] = {
    "aliases": Kind.ALIAS,
    "handles": Kind.HANDLE,
    "hashtags": Kind.HASHTAG,
    "domains": Kind.DOMAIN,
    "products": Kind.PRODUCT,
}
RECORD_KEYS = frozenset(
    {"name", "slug", "website", "description", "context_words", "ambiguous", *ALIAS_KEYS}
)
# Only these kinds are read as words in free text, so only they can be ambiguous.
_NAME_LIKE = frozenset({Kind.NAME, Kind.ALIAS, Kind.PRODUCT})
_PREFIX = {Kind.HANDLE: "@", Kind.HASHTAG: "#"}
_ALIAS_MAX = SupplierAlias._meta.get_field("text").max_length
_NAME_MAX = Supplier._meta.get_field("name").max_length
_SLUG_MAX = Supplier._meta.get_field("slug").max_length
_WEBSITE_MAX = Supplier._meta.get_field("website").max_length
_UNSET: Any = object()


@dataclass(frozen=True)
class RecordError:
    """A record that was not imported: its position in the list, its name if any, and why."""

    index: int
    name: str
    message: str

    def __str__(self) -> str:
        label = f"record {self.index}" + (f" ({self.name})" if self.name else "")
        return f"{label}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases_added: int = 0
    aliases_removed: int = 0
    errors: list[RecordError] = field(default_factory=list)


class _Invalid(Exception):
    """What is wrong with one record; it is skipped and the import goes on."""


@dataclass
class _Record:
    name: str
    slug: str | None
    website: str | None  # None: leave as it is
    description: str | None
    context_words: list[str] | None
    aliases: list[tuple[str, str]]  # (kind, text), the name first, no duplicates
    listed_kinds: set[str]  # the kinds this record speaks for: --prune removes only among them
    ambiguous: dict[str, bool | None] | None  # folded text -> flag; None: leave flags alone


@transaction.atomic
def suppliers_import(
    *,
    records: Sequence[Any],
    prune: bool = False,
    default_context_words: Sequence[str] = (),
) -> ImportResult:
    """Create or update a supplier, with its aliases, for each record; report bad records.

    A supplier is found by the record's `slug`, else by its name (case-insensitively), and
    created when neither finds one, so importing a file twice changes nothing the second time.
    A key absent from a record leaves that part of the supplier as it is. Aliases are upserted
    (one per supplier, kind and lower-cased text); aliases of the listed kinds that the record no
    longer lists are removed only when `prune` is set. `default_context_words` go to suppliers
    whose record gives no `context_words`. Each record is written in its own savepoint, so a
    record that cannot be written is reported and the others are still imported.
    """
    result = ImportResult()
    default_words = _words(default_context_words)
    written: dict[int, int] = {}  # supplier id -> index of the record that wrote it
    for index, raw in enumerate(records):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = " ".join(name.split())[:_NAME_MAX] if isinstance(name, str) else ""
        try:
            record = _parse(raw)
            if record.context_words is None and default_words:
                record.context_words = default_words
            with transaction.atomic():
                supplier_id, outcome, added, removed = _write(record, prune=prune, written=written)
        except _Invalid as exc:
            result.errors.append(RecordError(index, label, str(exc)))
            continue
        except (IntegrityError, DataError) as exc:
            message = f"the database refused it: {str(exc).strip()}"
            result.errors.append(RecordError(index, label, message))
            continue
        written[supplier_id] = index
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.aliases_added += added
        result.aliases_removed += removed
    return result


# --- reading a record ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(text.split()).lower()


def _text(value: Any, what: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"{what}: expected a string")
    text = " ".join(value.split())
    if not text:
        raise _Invalid(f"{what}: must not be empty")
    _check_storable(text, what)
    if len(text) > max_length:
        raise _Invalid(f"{what}: longer than {max_length} characters")
    return text


def _check_storable(text: str, what: str) -> None:
    """Text PostgreSQL refuses (NUL, or a lone surrogate as JSON "\\ud800" gives) is invalid."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid(f"{what}: not valid Unicode text") from None
    if "\x00" in text:
        raise _Invalid(f"{what}: contains a NUL character")


def _strings(record: dict, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid(f"{key}: expected a list of strings")
    for item in value:
        _check_storable(item, key)
    return value


def _words(values: Sequence[str]) -> list[str]:
    """Stripped, non-empty, each once (compared case-insensitively), in the given order."""
    words: list[str] = []
    seen: set[str] = set()
    for value in values:
        word = " ".join(value.split())
        if word and word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return words


def _alias_text(kind: str, value: str, key: str) -> str:
    text = _text(value, key, _ALIAS_MAX)
    prefix = _PREFIX.get(kind)
    if prefix is not None:
        # Handles keep their '@' and hashtags their '#'; one is added when the file left it out.
        text = prefix + text.lstrip(prefix)
        if len(text) == 1 or " " in text:
            raise _Invalid(f"{key}: {value!r} is not a {prefix}word")
    elif kind == Kind.DOMAIN:
        text = text.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if " " in text or "." not in text or "/" in text:
            raise _Invalid(f"{key}: {value!r} is not a domain name such as example.com")
    if len(text) > _ALIAS_MAX:
        raise _Invalid(f"{key}: longer than {_ALIAS_MAX} characters")
    return text


def _parse(raw: Any) -> _Record:
    if not isinstance(raw, dict):
        raise _Invalid("expected an object with at least a name")
    unknown = sorted(str(key) for key in raw if key not in RECORD_KEYS)
    if unknown:
        raise _Invalid(
            f"unknown key(s) {', '.join(unknown)}; known keys are {', '.join(sorted(RECORD_KEYS))}"
        )
    if "name" not in raw:
        raise _Invalid("name: required")
    name = _text(raw["name"], "name", _NAME_MAX)

    slug = None
    if raw.get("slug") is not None:
        slug = _text(raw["slug"], "slug", _SLUG_MAX)
        try:
            validate_slug(slug)
        except ValidationError:
            raise _Invalid(f"slug: {slug!r} is not letters, digits, '-' and '_'") from None

    website = None
    if "website" in raw:
        website = raw["website"] or ""
        if not isinstance(website, str):
            raise _Invalid("website: expected a string")
        website = website.strip()
        _check_storable(website, "website")
        if website:
            if len(website) > _WEBSITE_MAX:
                raise _Invalid(f"website: longer than {_WEBSITE_MAX} characters")
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError:
                raise _Invalid(f"website: {website!r} is not an http(s) address") from None

    description = None
    if "description" in raw:
        description = raw["description"] or ""
        if not isinstance(description, str):
            raise _Invalid("description: expected a string")
        _check_storable(description, "description")

    context_words = None
    if raw.get("context_words"):
        context_words = _words(_strings(raw, "context_words")) or None

    aliases: list[tuple[str, str]] = [(Kind.NAME, name)]
    seen = {(Kind.NAME, _fold(name))}
    listed_kinds = {Kind.NAME}
    for key, kind in ALIAS_KEYS.items():
        if key not in raw:
            continue
        listed_kinds.add(kind)
        for value in _strings(raw, key):
            text = _alias_text(kind, value, key)
            # An alias spelled like the name is the name alias already.
            duplicate_of_name = kind == Kind.ALIAS and (Kind.NAME, _fold(text)) in seen
            if duplicate_of_name or (kind, _fold(text)) in seen:
                continue
            seen.add((kind, _fold(text)))
            aliases.append((kind, text))

    ambiguous = None
    if "ambiguous" in raw:
        ambiguous = _parse_ambiguous(raw["ambiguous"], aliases)
    return _Record(
        name=name,
        slug=slug,
        website=website,
        description=description,
        context_words=context_words,
        aliases=aliases,
        listed_kinds=listed_kinds,
        ambiguous=ambiguous,
    )


def _parse_ambiguous(value: Any, aliases: list[tuple[str, str]]) -> dict[str, bool | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid('ambiguous: expected an object such as {"United": true}')
    name_like = {_fold(text) for kind, text in aliases if kind in _NAME_LIKE}
    other = {_fold(text): kind for kind, text in aliases if kind not in _NAME_LIKE}
    flags: dict[str, bool | None] = {}
    for text, flag in value.items():
        if flag is not None and not isinstance(flag, bool):
            raise _Invalid(f"ambiguous: {text!r} must be true, false or null")
        folded = _fold(text)
        if folded in other:
            raise _Invalid(
                f"ambiguous: {text!r} is a {other[folded]}; only the name, aliases and "
                "products can be ambiguous"
            )
        if folded not in name_like:
            raise _Invalid(f"ambiguous: {text!r} is not the name, an alias or a product")
        flags[folded] = flag
    return flags


# --- writing a record ---------------------------------------------------------------------------


def _write(record: _Record, *, prune: bool, written: dict[int, int]) -> tuple[int, str, int, int]:
    """(supplier id, 'created'|'updated'|'unchanged', aliases added, aliases removed)."""
    supplier = None
    if record.slug:
        supplier = Supplier.objects.filter(slug=record.slug).first()
    if supplier is None:
        supplier = Supplier.objects.filter(name__iexact=record.name).first()
    if supplier is not None and supplier.pk in written:
        raise _Invalid(f"the same supplier as record {written[supplier.pk]}")

    if supplier is None:
        supplier = Supplier(
            name=record.name,
            slug=record.slug or _free_slug(record.name),
            website=record.website or "",
            description=record.description or "",
            context_words=record.context_words or [],
        )
        supplier.save()
        outcome = "created"
    else:
        changes = {
            "name": record.name,
            "slug": record.slug,
            "website": record.website,
            "description": record.description,
            "context_words": record.context_words,
        }
        changed = [
            key
            for key, value in changes.items()
            if value is not None and getattr(supplier, key) != value
        ]
        if "name" in changed and (
            Supplier.objects.filter(name__iexact=record.name).exclude(pk=supplier.pk).exists()
        ):
            raise _Invalid(f"name: another supplier is already called {record.name!r}")
        for key in changed:
            setattr(supplier, key, changes[key])
        if changed:
            supplier.save(update_fields=[*changed, "updated_at"])
        outcome = "updated" if changed else "unchanged"

    added, changed_aliases, removed = _write_aliases(supplier, record, prune=prune)
    if outcome == "unchanged" and (added or changed_aliases or removed):
        outcome = "updated"
    return supplier.pk, outcome, added, removed


def _free_slug(name: str) -> str:
    base = slugify(name)[:_SLUG_MAX].strip("-")
    if not base:
        raise _Invalid("slug: cannot be made from the name; give one with 'slug'")
    slug, number = base, 1
    while Supplier.objects.filter(slug=slug).exists():
        number += 1
        suffix = f"-{number}"
        slug = base[: _SLUG_MAX - len(suffix)] + suffix
    return slug


def _write_aliases(supplier: Supplier, record: _Record, *, prune: bool) -> tuple[int, int, int]:
    """(added, changed, removed) aliases of this supplier."""
    existing = {(alias.kind, alias.text.lower()): alias for alias in supplier.aliases.all()}
    new: list[SupplierAlias] = []
    changed = 0
    for kind, text in record.aliases:
        flag = _UNSET
        if record.ambiguous is not None and kind in _NAME_LIKE:
            flag = record.ambiguous.get(_fold(text))
        alias = existing.pop((kind, text.lower()), None)
        if alias is None:
            new.append(
                SupplierAlias(
                    supplier=supplier,
                    kind=kind,
                    text=text,
                    is_ambiguous=None if flag is _UNSET else flag,
                )
            )
            continue
        fields = []
        if alias.text != text:
            alias.text = text
            fields.append("text")
        if flag is not _UNSET and alias.is_ambiguous != flag:
            alias.is_ambiguous = flag
            fields.append("is_ambiguous")
        if fields:
            # save(), not bulk_update(): updated_at is part of the matcher's version.
            alias.save(update_fields=[*fields, "updated_at"])
            changed += 1
    SupplierAlias.objects.bulk_create(new)
    removed = 0
    if prune:
        stale = [alias.pk for alias in existing.values() if alias.kind in record.listed_kinds]
        if stale:
            removed, _ = SupplierAlias.objects.filter(pk__in=stale).delete()
    return len(new), changed, removed


# --- Supplier team: invitations, roles, removal ---------------------------------------------------
# A supplier admin places colleagues in their supplier. An invitation is a User with no usable
# password plus a Membership; the e-mail carries Django's password-reset token, so "accepting" is
# choosing a password on the existing reset page and no invitation table is needed.


def _require_supplier_admin(actor: User, supplier_id: int) -> None:
    membership = actor.party
    if membership is None or membership.supplier_id != supplier_id or not membership.is_admin:
        raise ApplicationError("Only an admin of this supplier manages its team.", code="forbidden")


def _require_supplier_role(role: str) -> None:
    if role not in Membership.SUPPLIER_ROLES:
        raise ApplicationError("Choose viewer, responder or admin.", field="role")


def _lock_admins(supplier_id: int) -> list[int]:
    """Lock the supplier's admins in a fixed order, so that two admins demoting or removing each
    other at once cannot both succeed and leave the supplier without one."""
    return list(
        Membership.objects.select_for_update()
        .filter(supplier_id=supplier_id, role=Membership.Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


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
    if membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
        raise ApplicationError(
            "This is the team's only admin. Make someone else admin first.", field="role"
        )
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
    if membership.role == Membership.Role.ADMIN and admins == [membership.pk]:
        raise ApplicationError("This is the team's only admin and cannot be removed.")
    user = membership.user
    membership.delete()
    # Without a party the account sees nothing anyway; inactive, its open sessions end too.
    user.is_active = False
    user.save(update_fields=["is_active"])


# --- Vendor codes and aliases sent by integrations (the REST API) ---------------------------------


@dataclass(frozen=True)
class VendorCodeRow:
    """One line of an organization's ERP supplier list: its vendor code and the supplier's name."""

    code: str
    name: str
    website: str = ""


@dataclass(frozen=True)
class VendorCodeOutcome:
    index: int
    code: str
    supplier: Supplier
    # created: a new supplier, linked; linked: an existing supplier, newly linked;
    # relinked: the code moved to another supplier; unchanged: already so.
    outcome: str


@dataclass
class VendorCodesResult:
    outcomes: list[VendorCodeOutcome] = field(default_factory=list)
    rejected: list[RecordError] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.outcomes if item.outcome == outcome)


_CODE_MAX = VendorCode._meta.get_field("code").max_length


@transaction.atomic
def vendor_codes_upsert(
    *, organization: Organization, rows: Sequence[VendorCodeRow]
) -> VendorCodesResult:
    """Link each of the organization's vendor codes to the global supplier its row names.

    The supplier is found by its name, else by a name or alias of exactly one supplier (both
    case-insensitively), and created only when none matches, so no supplier is ever duplicated.
    An existing supplier's details are left alone: every organization shares them. A code that
    pointed at another supplier is moved. Each row is written in its own savepoint; a row that
    cannot be written is reported by its index and the others are still written.
    """
    result = VendorCodesResult()
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        label = " ".join(row.name.split())[:_NAME_MAX] if isinstance(row.name, str) else ""
        try:
            code = _text(row.code, "vendor_code", _CODE_MAX)
            name = _text(row.name, "name", _NAME_MAX)
            website = _vendor_website(row.website)
            if code in seen:
                raise _Invalid(f"vendor_code: the same code as row {seen[code]}")
            seen[code] = index
            # A second try finds the supplier that a concurrent request created meanwhile.
            for attempt in (1, 2):
                try:
                    with transaction.atomic():
                        supplier, outcome = _link_vendor_code(organization, code, name, website)
                    break
                except IntegrityError:
                    if attempt == 2:
                        raise
        except _Invalid as exc:
            result.rejected.append(RecordError(index, label, str(exc)))
            continue
        except (IntegrityError, DataError) as exc:
            message = f"the database refused it: {str(exc).strip()}"
            result.rejected.append(RecordError(index, label, message))
            continue
        result.outcomes.append(VendorCodeOutcome(index, code, supplier, outcome))
    return result


def _vendor_website(value: str) -> str:
    website = (value or "").strip()
    if not website:
        return ""
    _check_storable(website, "website")
    if len(website) > _WEBSITE_MAX:
        raise _Invalid(f"website: longer than {_WEBSITE_MAX} characters")
    try:
        URLValidator(schemes=["http", "https"])(website)
    except ValidationError:
        raise _Invalid(f"website: {website!r} is not an http(s) address") from None
    return website


def _supplier_named(name: str) -> Supplier | None:
    supplier = Supplier.objects.filter(name__iexact=name).first()
    if supplier is not None:
        return supplier
    ids = set(
        SupplierAlias.objects.filter(kind__in=[Kind.NAME, Kind.ALIAS], text__iexact=name)
        .values_list("supplier_id", flat=True)
        .distinct()
    )
    if len(ids) > 1:
        raise _Invalid(f"name: {name!r} is an alias of {len(ids)} suppliers; use the full name")
    return Supplier.objects.get(pk=ids.pop()) if ids else None


def _link_vendor_code(
    organization: Organization, code: str, name: str, website: str
) -> tuple[Supplier, str]:
    supplier = _supplier_named(name)
    created = supplier is None
    if supplier is None:
        try:
            slug = _free_slug(name)
        except _Invalid:
            slug = _free_slug("supplier")  # a name with no letters a slug can keep
        supplier = Supplier.objects.create(name=name, slug=slug, website=website)
        SupplierAlias.objects.create(supplier=supplier, kind=Kind.NAME, text=name)
    link = (
        VendorCode.objects.select_for_update().filter(organization=organization, code=code).first()
    )
    if link is None:
        VendorCode.objects.create(organization=organization, supplier=supplier, code=code)
        return supplier, "created" if created else "linked"
    if link.supplier_id == supplier.pk:
        return supplier, "unchanged"
    link.supplier = supplier
    link.save(update_fields=["supplier"])
    return supplier, "relinked"


# The supplier's name alias follows its name; every other kind may be added.
ADDABLE_ALIAS_KINDS = (Kind.ALIAS, Kind.HANDLE, Kind.HASHTAG, Kind.DOMAIN, Kind.PRODUCT)


@transaction.atomic
def supplier_alias_add(*, supplier: Supplier, kind: str, text: str) -> tuple[SupplierAlias, bool]:
    """(alias, created): add a way of naming the supplier, or find the one that already is it.

    Its ambiguity is left to automatic detection; the matcher picks it up through alias_version.
    """
    if kind not in ADDABLE_ALIAS_KINDS:
        raise ApplicationError("Choose alias, handle, hashtag, domain or product.", field="kind")
    try:
        text = _alias_text(kind, text, "text")
    except _Invalid as exc:
        raise ApplicationError(str(exc).removeprefix("text: "), field="text") from None
    kinds = [kind, Kind.NAME] if kind == Kind.ALIAS else [kind]
    existing = SupplierAlias.objects.filter(
        supplier=supplier, kind__in=kinds, text__iexact=text
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return SupplierAlias.objects.create(supplier=supplier, kind=kind, text=text), True
    except IntegrityError:
        return SupplierAlias.objects.get(supplier=supplier, kind=kind, text__iexact=text), False
