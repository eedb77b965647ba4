"""Importing suppliers from an operator's file: create or update each record's supplier and its
aliases, record by record, reporting the records that cannot be written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from supplierwatch.inputs import InputError

from ..inputs import (
    NAME_LIKE,
    NAME_MAX,
    SLUG_MAX,
    SupplierRecord,
    clean_supplier_record,
    fold,
    words,
)
from ..models import Supplier, SupplierAlias

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

    @classmethod
    def refused(cls, index: int, name: object, exc: Exception) -> RecordError:
        """Why a record was refused: the input rule it broke, or what the database refused.
        `name` is the record's name as it was sent, whatever it is: a text one labels the error,
        its spaces folded and cut to the longest name."""
        label = " ".join(name.split())[:NAME_MAX] if isinstance(name, str) else ""
        if isinstance(exc, InputError):
            return cls(index, label, str(exc))
        return cls(index, label, f"the database refused it: {str(exc).strip()}")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases_added: int = 0
    aliases_removed: int = 0
    errors: list[RecordError] = field(default_factory=list)


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
    default_words = words(default_context_words)
    written: dict[int, int] = {}  # supplier id -> index of the record that wrote it
    for index, raw in enumerate(records):
        try:
            record = clean_supplier_record(raw)
            if record.context_words is None and default_words:
                record.context_words = default_words
            with transaction.atomic():
                supplier_id, outcome, added, removed = _write(record, prune=prune, written=written)
        except (InputError, IntegrityError, DataError) as exc:
            name = raw.get("name") if isinstance(raw, dict) else None
            result.errors.append(RecordError.refused(index, name, exc))
            continue
        written[supplier_id] = index
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.aliases_added += added
        result.aliases_removed += removed
    return result


# --- writing a record ---------------------------------------------------------------------------


def _write(
    record: SupplierRecord, *, prune: bool, written: dict[int, int]
) -> tuple[int, str, int, int]:
    """(supplier id, 'created'|'updated'|'unchanged', aliases added, aliases removed)."""
    supplier = None
    if record.slug:
        supplier = Supplier.objects.filter(slug=record.slug).first()
    if supplier is None:
        supplier = Supplier.objects.filter(name__iexact=record.name).first()
    if supplier is not None and supplier.pk in written:
        raise InputError("", f"the same supplier as record {written[supplier.pk]}")

    if supplier is None:
        supplier = Supplier(
            name=record.name,
            slug=record.slug or free_slug(record.name),
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
            raise InputError("name", f"another supplier is already called {record.name!r}")
        for key in changed:
            setattr(supplier, key, changes[key])
        if changed:
            supplier.save(update_fields=[*changed, "updated_at"])
        outcome = "updated" if changed else "unchanged"

    added, changed_aliases, removed = _write_aliases(supplier, record, prune=prune)
    if outcome == "unchanged" and (added or changed_aliases or removed):
        outcome = "updated"
    return supplier.pk, outcome, added, removed


def free_slug(name: str) -> str:
    base = slugify(name)[:SLUG_MAX].strip("-")
    if not base:
        raise InputError("slug", "cannot be made from the name; give one with 'slug'")
    slug, number = base, 1
    while Supplier.objects.filter(slug=slug).exists():
        number += 1
        suffix = f"-{number}"
        slug = base[: SLUG_MAX - len(suffix)] + suffix
    return slug


def _write_aliases(
    supplier: Supplier, record: SupplierRecord, *, prune: bool
) -> tuple[int, int, int]:
    """(added, changed, removed) active aliases of this supplier. Organizations' proposals are
    left to the operator's review, but those the file lists are active now, so they go."""
    existing = {(alias.kind, alias.text.lower()): alias for alias in supplier.aliases.active()}
    new: list[SupplierAlias] = []
    changed = 0
    for kind, text in record.aliases:
        flag = _UNSET
        if record.ambiguous is not None and kind in NAME_LIKE:
            flag = record.ambiguous.get(fold(text))
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
    if new:
        served = Q()
        for alias in new:
            served |= Q(kind=alias.kind, text__iexact=alias.text)
        supplier.aliases.proposals().filter(served).delete()
    removed = 0
    if prune:
        stale = [alias.pk for alias in existing.values() if alias.kind in record.listed_kinds]
        if stale:
            removed, _ = SupplierAlias.objects.filter(pk__in=stale).delete()
    return len(new), changed, removed
