"""The OpenAPI schema says exactly what the server accepts, so that a client (and Schemathesis)
can tell a well-formed request from one that will be refused with a 400.

drf-spectacular describes the fields; this hook adds what the server refuses that a field's type
alone does not say: no text anywhere may hold a NUL character, a required text may not be blank
once trimmed (the serializers strip white space), and a filter parameter may not be empty.
"""

from __future__ import annotations

from typing import Any

# JSON Schema patterns (searched anywhere in the value, hence the anchors). White space is spelled
# out as the server strips it (Python's str.strip), since tools read `\s` differently.
NO_NUL = "^[^\\u0000]*$"
_SPACE = (
    "\\t-\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"
# Query parameters that mean "no filter" when empty; every other string parameter is refused
# empty (400), as django-filter's strict filter sets do.
MAY_BE_EMPTY = frozenset({"cursor", "search"})


def _is_free_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") == "string"
        and not {"enum", "format", "pattern", "$ref"} & set(schema)
        and not schema.get("readOnly")
    )


def _constrain_body(schema: dict[str, Any]) -> None:
    for prop in (schema.get("properties") or {}).values():
        if _is_free_text(prop):
            prop["pattern"] = NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL
        elif prop.get("type") == "array" and _is_free_text(prop.get("items") or {}):
            prop["items"]["pattern"] = NO_NUL


def _constrain_parameter(parameter: dict[str, Any]) -> None:
    schema = parameter.get("schema") or {}
    if parameter.get("in") != "query" or not _is_free_text(schema):
        return
    if parameter["name"] in MAY_BE_EMPTY:
        schema.setdefault("pattern", NO_NUL)
    else:
        schema["minLength"] = max(schema.get("minLength", 0), 1)
        schema["pattern"] = NO_NUL


def constrain_text(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular's POSTPROCESSING_HOOKS entry (after its enum hook)."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _constrain_body(schema)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _constrain_parameter(parameter)
    return result
