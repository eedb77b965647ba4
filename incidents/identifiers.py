"""Identifiers a complaint names: order, flight, SKU, lot, model and similar numbers. Pure, no Django.

Two complaints that name the same flight or the same lot are very likely about one problem, whatever
else their wording shares, so grouping (incidents/problems.py) weighs a shared identifier heavily and
titles name it. An identifier is "kind:CODE", e.g. "flight:1234", "lot:L-778", "order:4500012345";
codes are upper-cased with spaces turned into hyphens (grouping.normalise_code), so "lot l 778" and
"Lot L-778" are one identifier.

Only what is clearly an identifier counts: a code after a word that names its kind ("flight 1234",
"PO# 4500", "lot: L-778"), an airline flight designator ("UA 1234", "UA1234") or a model/part code
that mixes letters and digits around a hyphen ("HX-200"). Times, dates, prices and counts ("4pm",
"2nd", "$200", "3 hours") are not identifiers.
"""

from __future__ import annotations

import re

from .grouping import normalise_code

# The word before a code, and the kind it names.
_KINDS = {
    "flight": "flight",
    "flt": "flight",
    "order": "order",
    "po": "order",
    "purchase order": "order",
    "sku": "sku",
    "part": "sku",
    "part number": "sku",
    "item": "sku",
    "lot": "lot",
    "batch": "lot",
    "model": "model",
    "serial": "serial",
    "case": "case",
    "ticket": "case",
    "confirmation": "booking",
    "booking": "booking",
    "reservation": "booking",
    "tracking": "tracking",
    "invoice": "invoice",
}
_NUMBER_WORDS = r"(?:\s*(?:number|no\.?|num|nr|#|:)\s*)*"
# A code holds at least one digit and starts and ends with a letter or digit.
_CODE = r"(?=[A-Za-z0-9-]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_NAMED = re.compile(
    r"\b(?P<kind>"
    + "|".join(sorted((re.escape(k) for k in _KINDS), key=len, reverse=True))
    + r")"
    + _NUMBER_WORDS
    + r"\s*(?P<code>"
    + _CODE
    + r")\b",
    re.IGNORECASE,
)
# "UA 1234", "AA100": two capitals and a flight's 1 to 4 digits, as airlines print them. Upper case only: "is 10" or "at 5" are words, not designators.
_FLIGHT = re.compile(r"(?<![\w@#$])(?P<airline>[A-Z]{2})\s?(?P<number>\d{1,4})\b(?!\s?(?:am|pm|%))")
# "HX-200", "L-778", "AB12-C": letters and digits joined by a hyphen, as part and lot codes are.
_HYPHENATED = re.compile(
    r"(?<![\w@#$/.-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b(?![/.-]\w)"
)
# What looks like a code but is a time, an ordinal, a quantity or a date.
_NOT_A_CODE = re.compile(
    r"^(?:\d{1,2}(?:am|pm|h|hrs?|min|mins)|\d+(?:st|nd|rd|th|s|k|x|m|km|kg|lb|lbs|mph)|\d{1,4}"
    r"(?:-\d{1,4}){1,2}|\d+-(?:hours?|hrs?|mins?|minutes?|days?|weeks?|months?|years?))$",
    re.IGNORECASE,
)
# Designator look-alikes: "TO 10", "IN 2015" are shouted words with a number after them.
_NOT_AIRLINES = {"AM", "PM", "AT", "BY", "IN", "IS", "IT", "NO", "OF", "ON", "OR", "SO", "TO", "UP"}


def extract(text: str) -> set[str]:
    """The identifiers this text names, as "kind:CODE"."""
    found: set[str] = set()
    named_spans: list[tuple[int, int]] = []
    for match in _NAMED.finditer(text):
        code = normalise_code(match["code"])
        if _NOT_A_CODE.match(code) or (len(code) < 2 and not code.isdigit()):
            continue
        kind = _KINDS[" ".join(match["kind"].lower().split())]
        if kind == "flight":
            # "flight UA1234" and "flight 1234" name one flight: keep its number.
            number = code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ-")
            code = str(int(number)) if number.isdigit() else code
        found.add(f"{kind}:{code}")
        named_spans.append(match.span("code"))
    for match in _FLIGHT.finditer(text):
        if match["airline"] not in _NOT_AIRLINES and not _inside(match.start(), named_spans):
            found.add(f"flight:{int(match['number'])}")
    for match in _HYPHENATED.finditer(text):
        code = normalise_code(match.group())
        if not _NOT_A_CODE.match(code) and not _inside(match.start(), named_spans):
            found.add(f"code:{code}")
    return found


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def shown(identifier: str) -> str:
    """How a title names an identifier: "flight 1234", "lot L-778", "HX-200"."""
    kind, _, code = identifier.partition(":")
    if kind == "code":
        return code
    if kind == "order":
        return f"order {code}"
    return f"{kind} {code}"
