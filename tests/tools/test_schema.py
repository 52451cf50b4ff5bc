"""Checking a call's arguments against its tool's schema (`tools.schema`)."""

from __future__ import annotations

import pytest

from streamcli.tools import schema

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "unit": {"enum": ["C", "F"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"city": "Paris"}, None),
        ({"city": "Paris", "days": 3, "unit": "C", "tags": ["a"]}, None),
        ({"city": "Paris", "days": 3.0}, None),  # an integral float is an integer
        ({}, "'city' is required"),
        ({"city": 3}, "'city' must be string, not number"),
        ({"city": "x", "days": True}, "'days' must be integer, not boolean"),
        ({"city": "x", "days": 9}, "'days' must be at most 7"),
        ({"city": ""}, "'city' must be at least 1 characters"),
        ({"city": "x", "unit": "K"}, "'unit' must be one of 'C', 'F'"),
        ({"city": "x", "tags": ["a", 2]}, "'tags'[1] must be string, not number"),
        ({"city": "x", "zip": 1}, "'zip' is not a known argument (known: city, days, unit, tags)"),
    ],
)
def test_schema_problems_are_named(arguments, expected):
    assert schema.problem(arguments, WEATHER) == expected
