"""OutputSerializer gives DRF's JSON, field for field, whatever path each field takes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework import serializers

from supplierwatch.api.output import OutputSerializer


@dataclass
class Ref:
    slug: str
    name: str


@dataclass
class Row:
    id: int
    title: str
    count: Any
    flag: bool
    at: dt.datetime | None
    kind: str
    ref: Ref | None
    refs: list[Ref] = field(default_factory=list)
    blank: str = ""
    on: dt.date | None = None
    # Another zone's time, and a naive one: shown in the current zone, as DRF shows them.
    elsewhere: dt.datetime | None = None
    checked: Any = None

    @property
    def doubled(self) -> int:
        return self.id * 2

    def computed(self) -> str:
        return f"computed {self.id}"


def _fields() -> dict[str, Any]:
    """The same declared fields for both serializers (fields are bound to one serializer)."""

    class RefFields(serializers.Serializer):
        slug = serializers.SlugField()
        name = serializers.CharField()

    return {
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "count": serializers.IntegerField(),
        "flag": serializers.BooleanField(),
        "at": serializers.DateTimeField(allow_null=True),
        "kind": serializers.ChoiceField(choices=[("a", "A"), ("b", "B")]),
        "on": serializers.DateField(allow_null=True),
        "elsewhere": serializers.DateTimeField(allow_null=True),
        "checked": serializers.BooleanField(allow_null=True),
        "ref": RefFields(allow_null=True),
        "refs": RefFields(many=True),
        "ref_name": serializers.CharField(source="ref.name", allow_null=True),
        "doubled": serializers.IntegerField(),
        "computed": serializers.CharField(),
        "missing": serializers.CharField(default="fallback"),
        "optional": serializers.CharField(required=False),
        "method": serializers.SerializerMethodField(),
        "whole": serializers.CharField(source="*"),
    }


def _serializer(base: type[serializers.Serializer]) -> type[serializers.Serializer]:
    def get_method(self: serializers.Serializer, row: Any) -> str:
        return f"method {row['id'] if isinstance(row, dict) else row.id}"

    return type(f"Row{base.__name__}", (base,), {**_fields(), "get_method": get_method})


ROWS = [
    Row(
        id=7,
        title="Cracked housings",
        count="12",  # converted as IntegerField converts it
        flag=True,
        at=dt.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=dt.UTC),
        kind="b",
        ref=Ref("acme", "Acme"),
        refs=[Ref("a", "A"), Ref("b", "B")],
        on=dt.date(2026, 3, 4),
        elsewhere=dt.datetime(2026, 3, 4, 7, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        checked="yes",  # converted as BooleanField converts it
    ),
    Row(id=8, title="", count=0, flag=False, at=None, kind="", ref=None),
    Row(
        id=9,
        title="t",
        count=1,
        flag=False,
        at=dt.datetime(2026, 3, 4, 5, 6, 7),
        kind="c",  # not a choice: given as it is
        ref=None,
        on=dt.datetime(2026, 3, 4, 5, 6, 7).date(),
        checked=0,
    ),
]


@pytest.mark.parametrize("many", [False, True])
def test_output_serializer_gives_drfs_json(many: bool) -> None:
    instance: Any = ROWS if many else ROWS[0]
    expected = _serializer(serializers.Serializer)(instance, many=many).data
    given = _serializer(OutputSerializer)(instance, many=many).data

    assert given == expected
    first = given[0] if many else given
    assert list(first) == list(expected[0] if many else expected)  # the same keys, in order
    assert first["count"] == 12
    assert first["at"] == "2026-03-04T05:06:07.000890Z"
    assert first["elsewhere"] == "2026-03-04T05:06:07Z"
    assert first["on"] == "2026-03-04"
    assert first["checked"] is True
    assert first["computed"] == "computed 7"  # a method is called, as DRF calls it
    assert first["missing"] == "fallback"
    assert "optional" not in first


def test_output_serializer_reads_mappings_as_drf_does() -> None:
    row = {"id": 1, "title": "t", "count": 2, "flag": False, "at": None, "kind": "a"}
    row |= {"ref": None, "refs": [], "ref_name": None, "doubled": 2, "computed": "c"}

    expected = _serializer(serializers.Serializer)(row).data
    assert _serializer(OutputSerializer)(row).data == expected


def test_output_serializer_refuses_a_missing_required_attribute_as_drf_does() -> None:
    class Strict(OutputSerializer):
        absent = serializers.CharField()

    with pytest.raises(AttributeError, match="absent"):
        Strict(Ref("a", "A")).data  # noqa: B018


@dataclass(frozen=True)
class Step:
    """A frozen view that several rows share, as a page's 8D disciplines never started are."""

    reads: list[str]
    name: str

    @property
    def label(self) -> str:
        self.reads.append(self.name)
        return self.name.title()


def test_a_frozen_view_shared_by_rows_is_written_once_and_each_row_gets_its_own_json() -> None:
    class StepSerializer(OutputSerializer):
        name = serializers.CharField()
        label = serializers.CharField()

    class RowSerializer(OutputSerializer):
        id = serializers.IntegerField()
        steps = StepSerializer(many=True)

    reads: list[str] = []
    shared = Step(reads, "team")
    rows = [{"id": 1, "steps": [shared]}, {"id": 2, "steps": [shared, Step(reads, "root")]}]

    data = RowSerializer(
        [type("R", (), row)() for row in rows],  # attribute access, as the presenters' views
        many=True,
    ).data

    assert [[step["label"] for step in row["steps"]] for row in data] == [
        ["Team"],
        ["Team", "Root"],
    ]
    assert reads == ["team", "root"]  # the shared view's JSON is written once
    assert data[0]["steps"][0] is not data[1]["steps"][0]  # a copy for each row
