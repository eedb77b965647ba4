"""JSON request bodies, parsed without letting a hostile one exhaust the interpreter's stack."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request of this API nests deeper than a few levels; twenty is generous.
MAX_DEPTH = 20


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing (400) a body nested deeper than MAX_DEPTH levels.

    A body of ten thousand `[` (20 KB) makes the standard parser recurse until Python gives up
    with a RecursionError, which would otherwise be a 500; it is a malformed request.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            if _nesting(text) > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:  # bytes that are not text, or text that is not JSON
            raise ParseError(f"JSON parse error - {exc}") from exc


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """How deep the JSON text's arrays and objects nest, counted before parsing: brackets
    inside strings do not count, and only the brackets are looked at one by one."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON, whatever Python's parser accepts by default.
    raise ValueError(f"{name} is not valid JSON")
