"""Every write to suppliers and their aliases: one function per use case, each in a transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .models import Supplier, SupplierAlias

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
                outcome, added, removed = _write(record, prune=prune, written=written, index=index)
        except _Invalid as exc:
            result.errors.append(RecordError(index, label, str(exc)))
            continue
        except IntegrityError as exc:
            result.errors.append(
                RecordError(index, label, f"conflicts with an existing supplier or alias ({exc})")
            )
            continue
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
    if len(text) > max_length:
        raise _Invalid(f"{what}: longer than {max_length} characters")
    return text


def _strings(record: dict, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Invalid(f"{key}: expected a list of strings")
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


def _write(
    record: _Record, *, prune: bool, written: dict[int, int], index: int
) -> tuple[str, int, int]:
    """('created'|'updated'|'unchanged', aliases added, aliases removed) for one record."""
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
    written[supplier.pk] = index

    added, changed_aliases, removed = _write_aliases(supplier, record, prune=prune)
    if outcome == "unchanged" and (added or changed_aliases or removed):
        outcome = "updated"
    return outcome, added, removed


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
