"""Checking a tool call's arguments against the tool's JSON Schema (the common subset).

Models get arguments wrong; the tool should not see them then, and the model should
learn what was wrong. Checked: `type` (one or a list), `required`, `properties`,
`additionalProperties: false`, `items`, `enum`, `minimum`/`maximum`,
`minLength`/`maxLength`. Other keywords are accepted without a check.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def problem(value: Any, schema: Any, where: str = "arguments") -> str | None:
    """What is wrong with `value` under `schema`, or None when it fits."""
    if not isinstance(schema, dict):
        return None
    wanted = schema.get("type")
    if wanted is not None:
        names = wanted if isinstance(wanted, list) else [wanted]
        if not any(_is(value, name) for name in names):
            return f"{where} must be {' or '.join(map(str, names))}, not {_kind(value)}"
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return f"{where} must be one of {', '.join(_show(v) for v in enum)}"
    if isinstance(value, dict):
        return _object(value, schema, where)
    if isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            found = problem(item, items, f"{where}[{index}]")
            if found:
                return found
    elif isinstance(value, str):
        return _bounds(len(value), schema, "minLength", "maxLength", where, " characters")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return _bounds(value, schema, "minimum", "maximum", where, "")
    return None


def _object(value: dict[str, Any], schema: dict[str, Any], where: str) -> str | None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if name not in value:
            return f"{_at(where, name)} is required"
    for name, item in value.items():
        if name in properties:
            found = problem(item, properties[name], _at(where, name))
            if found:
                return found
        elif schema.get("additionalProperties") is False:
            known = ", ".join(properties) or "none"
            return f"{_at(where, name)} is not a known argument (known: {known})"
    return None


def _bounds(
    size: float, schema: dict[str, Any], low: str, high: str, where: str, unit: str
) -> str | None:
    least, most = schema.get(low), schema.get(high)
    if isinstance(least, (int, float)) and size < least:
        return f"{where} must be at least {least}{unit}"
    if isinstance(most, (int, float)) and size > most:
        return f"{where} must be at most {most}{unit}"
    return None


def _is(value: Any, name: str) -> bool:
    types = _TYPES.get(name)
    if types is None:
        return True  # an unknown type name: not ours to refuse
    if isinstance(value, bool) and name in ("number", "integer"):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, types)


def _kind(value: Any) -> str:
    for name, types in _TYPES.items():
        if name != "integer" and _is(value, name) and isinstance(value, types):
            return name
    return type(value).__name__


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where != "arguments" else repr(name)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
