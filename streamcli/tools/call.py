"""One tool call a model asked for: its id, the tool's name and the arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCall:
    """A requested call; `problem` says why its arguments are unusable, if they are."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    arguments_text: str = ""  # the raw JSON, while it streams
    problem: str | None = None  # why the arguments are not a JSON object, if they are not


def unique_ids(calls: list[ToolCall], taken: set[str]) -> list[ToolCall]:
    """`calls`, each with an id none of `taken` has (servers may omit or repeat them); the
    ids given are added to `taken`."""
    for call in calls:
        if not call.id or call.id in taken:
            number = len(taken)
            while f"call_{number}" in taken:
                number += 1
            call.id = f"call_{number}"
        taken.add(call.id)
    return calls
