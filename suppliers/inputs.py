"""What a supplier record, an alias and a vendor code may be: one validation and normalisation
function each, called by its service (suppliers_import, supplier_alias_add, vendor_codes_upsert).
Plain Python with no Django import."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wordfreq import tokenize, zipf_frequency

from supplierwatch.inputs import InputError, clean_text, clean_url, storable

NAME_MAX = 200
SLUG_MAX = 80
WEBSITE_MAX = 200
ALIAS_MAX = 200
CODE_MAX = 64

# The kinds of alias (SupplierAlias.Kind's values) and the record keys that list them.
NAME, ALIAS, HANDLE, HASHTAG, DOMAIN, PRODUCT = (
    "name",
    "alias",
    "handle",
    "hashtag",
    "domain",
    "product",
)
ALIAS_KEYS: dict[str, str] = {
    "aliases": ALIAS,
    "handles": HANDLE,
    "hashtags": HASHTAG,
    "domains": DOMAIN,
    "products": PRODUCT,
}
RECORD_KEYS = frozenset(
    {"name", "slug", "website", "description", "context_words", "ambiguous", *ALIAS_KEYS}
)
# Only these kinds are read as words in free text, so only they can be ambiguous.
NAME_LIKE = frozenset({NAME, ALIAS, PRODUCT})
# The supplier's name alias follows its name; every other kind may be added.
ADDABLE_ALIAS_KINDS = (ALIAS, HANDLE, HASHTAG, DOMAIN, PRODUCT)
_PREFIX = {HANDLE: "@", HASHTAG: "#"}

# What an alias may be, so that it names a supplier rather than everyday text. The matcher reads
# every alias in every post of every buyer: one that matched ordinary words would pull unrelated
# complaints into a supplier's incidents.
# One letter is never a name. Two are a code that names airlines and manufacturers ("AA", "VX",
# "3M"); those that are words ("us", "it") fall to the next rule, and the matcher weighs the rest
# that English uses as words ("AA", "GE") as ambiguous.
ALIAS_MIN_CHARACTERS = 2
# Zipf 6 is a word in every thousand: the hundred or so words English uses most ("the", "of",
# "new", "time"). Written at the start of a sentence they look like names, so even the matcher's
# test for ambiguous words (a capital letter near a context word) lets them through. Brand names
# that are ordinary words ("United" 5.5, "Delta" 4.1) stay allowed: the matcher weighs them.
EVERYDAY_WORD_ZIPF = 6.0
# A hashtag is matched wherever it is written, without that test, so its tag must not be a word
# English uses at all: the matcher's bar for an ambiguous word (incidents.matching's
# COMMON_WORD_ZIPF), "#fail" 4.6, "#delivery" 4.6. A word alias already matches inside hashtags.
GENERIC_HASHTAG_ZIPF = 3.5
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def fold(text: str) -> str:
    """How two spellings of one alias are compared: spaces folded, case ignored."""
    return " ".join(text.split()).lower()


def clean_name(value: Any, field: str = "name") -> str:
    return clean_text(
        value,
        field,
        max_length=NAME_MAX,
        required=True,
        required_reason="must not be empty",
        collapse_spaces=True,
    )


def clean_website(value: Any, field: str = "website") -> str:
    """An http(s) address of a host with a domain name, or "" for none. A refusal quotes the
    value, as an import's report of rejected records shows it."""
    text = clean_text(value, field, max_length=WEBSITE_MAX)
    if not text:
        return ""
    refused = InputError(field, f"{text!r} is not an http(s) address")
    try:
        url = clean_url(text, field, max_length=WEBSITE_MAX)
    except InputError as exc:
        raise refused from exc
    if "." not in (urlsplit(url).hostname or ""):
        raise refused
    return url


def clean_alias(
    kind: str,
    value: Any,
    field: str = "text",
    *,
    names_other_supplier: Callable[[str], str | None] | None = None,
) -> str:
    """An alias as it is matched: handles keep their '@' and hashtags their '#' (one is added
    when left out), domains are bare host names. Refused, naming the field, when it would match
    everyday text (alias_refusal), and, given `names_other_supplier` (the alias's text -> the
    name of another supplier it already names, or None), when another supplier goes by it."""
    text = clean_text(
        value,
        field,
        max_length=ALIAS_MAX,
        required=True,
        required_reason="must not be empty",
        collapse_spaces=True,
    )
    prefix = _PREFIX.get(kind)
    if prefix is not None:
        text = prefix + text.lstrip(prefix)
        if len(text) == 1 or " " in text:
            raise InputError(field, f"{value!r} is not a {prefix}word")
    elif kind == DOMAIN:
        text = text.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if " " in text or "." not in text or "/" in text:
            raise InputError(field, f"{value!r} is not a domain name such as example.com")
    if len(text) > ALIAS_MAX:
        raise InputError(field, f"longer than {ALIAS_MAX} characters")
    refusal = alias_refusal(kind, text)
    if refusal is not None:
        raise InputError(field, refusal)
    other = names_other_supplier(text) if names_other_supplier is not None else None
    if other is not None:
        raise InputError(
            field, f"{text!r} already names {other}; an alias may name one supplier only"
        )
    return text


def alias_refusal(kind: str, text: str) -> str | None:
    """Why an alias (as clean_alias normalises it) would match everyday text, or None.

    A supplier's name alias is its name, which the supplier record's rule governs (clean_name).
    """
    if kind == NAME:
        return None
    bare = text.removeprefix(_PREFIX.get(kind, ""))
    if sum(char.isalnum() for char in bare) < ALIAS_MIN_CHARACTERS:
        return (
            f"{text!r} is too short: an alias needs at least {ALIAS_MIN_CHARACTERS} letters or "
            "digits, or it matches everyday text"
        )
    tokens = tokenize(bare, "en")
    if kind in NAME_LIKE and tokens and all(_zipf(token) >= EVERYDAY_WORD_ZIPF for token in tokens):
        return (
            f"{text!r} is made of words that nearly every post contains; an alias must be a name "
            "that this supplier goes by"
        )
    if kind == HASHTAG and len(tokens) == 1 and _zipf(tokens[0]) >= GENERIC_HASHTAG_ZIPF:
        return (
            f"{text!r} is an everyday word as a hashtag, written in posts about anything; use one "
            "that only this supplier's customers write (such as #AcmeRecall)"
        )
    return None


def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


def clean_search(value: Any, field: str = "search") -> str:
    """What someone searches the suppliers for (a name, an alias or a vendor code), stripped.
    Text the database cannot compare (a NUL character, which nobody types) is refused, naming
    the field."""
    return clean_text(value, field)


def clean_alias_kind(value: Any) -> str:
    if value not in ADDABLE_ALIAS_KINDS:
        raise InputError("kind", "Choose alias, handle, hashtag, domain or product.")
    return str(value)


def words(values: Sequence[str]) -> list[str]:
    """Stripped, non-empty, each once (compared case-insensitively), in the given order."""
    found: list[str] = []
    seen: set[str] = set()
    for value in values:
        word = " ".join(value.split())
        if word and word.lower() not in seen:
            seen.add(word.lower())
            found.append(word)
    return found


@dataclass
class SupplierRecord:
    """One supplier of an import file, as it will be written."""

    name: str
    slug: str | None
    website: str | None  # None: leave as it is
    description: str | None
    context_words: list[str] | None
    aliases: list[tuple[str, str]]  # (kind, text), the name first, no duplicates
    listed_kinds: set[str]  # the kinds this record speaks for: --prune removes only among them
    ambiguous: dict[str, bool | None] | None  # folded text -> flag; None: leave flags alone


def _strings(record: dict[str, Any], key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(key, "expected a list of strings")
    return [storable(item, key) for item in value]


def clean_supplier_record(raw: Any) -> SupplierRecord:
    """One record of an import file, or InputError naming what is wrong with it."""
    if not isinstance(raw, dict):
        raise InputError("", "expected an object with at least a name")
    unknown = sorted(str(key) for key in raw if key not in RECORD_KEYS)
    if unknown:
        raise InputError(
            "",
            f"unknown key(s) {', '.join(unknown)}; known keys are {', '.join(sorted(RECORD_KEYS))}",
        )
    if "name" not in raw:
        raise InputError("name", "required")
    name = clean_name(raw["name"])

    slug = None
    if raw.get("slug") is not None:
        slug = clean_text(raw["slug"], "slug", max_length=SLUG_MAX, required=True)
        if not _SLUG.fullmatch(slug):
            raise InputError("slug", f"{slug!r} is not letters, digits, '-' and '_'")

    website = clean_website(raw["website"]) if "website" in raw else None
    description = None
    if "description" in raw:
        description = clean_text(raw["description"], "description")
    context_words = None
    if raw.get("context_words"):
        context_words = words(_strings(raw, "context_words")) or None

    aliases: list[tuple[str, str]] = [(NAME, name)]
    seen = {(NAME, fold(name))}
    listed_kinds = {NAME}
    for key, kind in ALIAS_KEYS.items():
        if key not in raw:
            continue
        listed_kinds.add(kind)
        for value in _strings(raw, key):
            text = clean_alias(kind, value, key)
            # An alias spelled like the name is the name alias already.
            duplicate_of_name = kind == ALIAS and (NAME, fold(text)) in seen
            if duplicate_of_name or (kind, fold(text)) in seen:
                continue
            seen.add((kind, fold(text)))
            aliases.append((kind, text))

    ambiguous = _ambiguous(raw["ambiguous"], aliases) if "ambiguous" in raw else None
    return SupplierRecord(
        name=name,
        slug=slug,
        website=website,
        description=description,
        context_words=context_words,
        aliases=aliases,
        listed_kinds=listed_kinds,
        ambiguous=ambiguous,
    )


def _ambiguous(value: Any, aliases: list[tuple[str, str]]) -> dict[str, bool | None]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("ambiguous", 'expected an object such as {"United": true}')
    name_like = {fold(text) for kind, text in aliases if kind in NAME_LIKE}
    other = {fold(text): kind for kind, text in aliases if kind not in NAME_LIKE}
    flags: dict[str, bool | None] = {}
    for text, flag in value.items():
        if flag is not None and not isinstance(flag, bool):
            raise InputError("ambiguous", f"{text!r} must be true, false or null")
        folded = fold(text)
        if folded in other:
            raise InputError(
                "ambiguous",
                f"{text!r} is a {other[folded]}; only the name, aliases and products can be "
                "ambiguous",
            )
        if folded not in name_like:
            raise InputError("ambiguous", f"{text!r} is not the name, an alias or a product")
        flags[folded] = flag
    return flags


@dataclass(frozen=True)
class VendorCodeInput:
    """One line of an organization's ERP supplier list: its vendor code and the supplier's name."""

    code: str
    name: str
    website: str = ""


def clean_vendor_code(value: Any, field: str = "vendor_code") -> str:
    """An organization's ERP number for a supplier, its spaces collapsed."""
    return clean_text(
        value,
        field,
        max_length=CODE_MAX,
        required=True,
        required_reason="must not be empty",
        collapse_spaces=True,
    )


def clean_vendor_code_row(*, code: Any, name: Any, website: Any = "") -> VendorCodeInput:
    return VendorCodeInput(
        code=clean_vendor_code(code),
        name=clean_name(name),
        website=clean_website(website),
    )
