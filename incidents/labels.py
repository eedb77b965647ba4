"""Labels imported with public posts: which columns say "complaint" and which say the category.

Plain Python with no Django import: `ingest_posts` builds a LabelRule from its options
(`--label-complaint sentiment=negative --label-category negative_reason`), the reader hands over
those columns, and `label_of` reads one record's label; services.posts_label_imported stores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Category values that say "a complaint, but no category" (the airline data's "Can't Tell").
DEFAULT_NO_CATEGORY = ("", "can't tell", "cant tell", "unknown", "none", "n/a")


@dataclass(frozen=True)
class Label:
    is_complaint: bool
    # The category as the file names it (None: no category); mapped to a Category by name,
    # slug or one of its label names (Category.label_names), case-insensitively.
    category: str | None = None


@dataclass(frozen=True)
class LabelRule:
    complaint_column: str
    complaint_values: frozenset[str]
    category_column: str = ""
    no_category: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_NO_CATEGORY))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a reader hands over for this rule."""
        return tuple(c for c in (self.complaint_column, self.category_column) if c)


def parse_label_rule(complaint: str, category: str = "", no_category: str = "") -> LabelRule:
    """`COLUMN=VALUE[|VALUE...]` (the post is a complaint when the column holds one of the
    values, compared ignoring case and surrounding spaces) and a category COLUMN; ValueError
    says what is wrong."""
    column, equals, values = complaint.partition("=")
    column = column.strip()
    wanted = frozenset(v.strip().casefold() for v in values.split("|") if v.strip())
    if not equals or not column or not wanted:
        raise ValueError(
            f"{complaint!r}: expected COLUMN=VALUE[|VALUE...], e.g. sentiment=negative"
        )
    empty = frozenset(v.strip().casefold() for v in no_category.split("|") if v.strip())
    return LabelRule(
        complaint_column=column,
        complaint_values=wanted,
        category_column=category.strip(),
        no_category=frozenset(DEFAULT_NO_CATEGORY) | empty,
    )


def label_of(values: Mapping[str, object], rule: LabelRule) -> Label | None:
    """The label of one record from its label columns; None when it has no complaint value."""
    raw = values.get(rule.complaint_column)
    if raw is None or not str(raw).strip():
        return None
    is_complaint = str(raw).strip().casefold() in rule.complaint_values
    category = None
    if is_complaint and rule.category_column:
        text = str(values.get(rule.category_column) or "").strip()
        category = None if text.casefold() in rule.no_category else text
    return Label(is_complaint=is_complaint, category=category)
