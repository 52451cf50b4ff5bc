"""A tool result from an MCP server as the text the model is told, and progress as a line.

Text parts are joined with newlines; an image or audio part is summarised
(``[image/png, 12 KB]``), a resource by its URI and type (an embedded text resource
gives its text); structured content stands in when there is no other content. A result
with ``isError`` is a failed call. The SDK's objects are read by attribute, so this
module does not import it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from streamcli.tools.process import Outcome


def result_outcome(result: Any) -> Outcome:
    """The call's outcome: ok unless the server flagged an error; the content as text."""
    parts = [_part(block) for block in getattr(result, "content", None) or []]
    text = "\n".join(part for part in parts if part)
    structured = getattr(result, "structured_content", None)
    if not text and structured is not None:
        text = json.dumps(structured, ensure_ascii=False)
    failed = bool(getattr(result, "is_error", False))
    if failed and not text:
        text = "the tool reported an error without saying which"
    return Outcome(not failed, text)


def _part(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{block.mime_type}, {_size(_decoded_length(block.data))}]"
    if kind == "resource_link":
        mime = f", {block.mime_type}" if getattr(block, "mime_type", None) else ""
        return f"[resource {block.uri}{mime}]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            return text
        mime = getattr(resource, "mime_type", None) or "application/octet-stream"
        blob = getattr(resource, "blob", "") or ""
        return f"[resource {resource.uri}, {mime}, {_size(_decoded_length(blob))}]"
    return f"[{kind or 'unknown'} content]"


def _decoded_length(data: str) -> int:
    try:
        return len(base64.b64decode(data, validate=False))
    except (ValueError, TypeError):
        return len(data)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def progress_text(done: float, total: float | None, message: str | None) -> str:
    """A progress notification on one short line: ``3/10 indexing…``."""
    count = f"{done:g}/{total:g}" if total else f"{done:g}"
    return f"{count} {message}".strip() if message else count
