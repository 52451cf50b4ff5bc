"""Keeping API keys out of everything streamcli prints, records or raises.

A `Redactor` replaces every known key by exact value, and anything that looks like a key
or a credential by pattern (``sk-…``, ``sk-ant-…``, ``AIza…``, GitHub tokens, ``Bearer …``,
``?key=…``), so a key echoed by a server or hidden in a URL never reaches a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"

_PATTERNS = re.compile(
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{12,}"
    r"|AIza[0-9A-Za-z_\-]{30,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abpr]-[A-Za-z0-9\-]{10,}"
)
# A credential after a word that announces it: the word stays, the value goes.
_ANNOUNCED = re.compile(
    r"(\b[Bb]earer\s+|[?&](?:key|api_key|apikey|token|access_token)=)([^\s&\"']{8,})"
)


class Redactor:
    """Masks the given secrets (exact values) and key-shaped strings (patterns)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a key that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _ANNOUNCED.sub(r"\1" + MASK, _PATTERNS.sub(MASK, text))

    def exact(self, text: str) -> str:
        """Mask only the known secrets (for model output, where patterns could misfire)."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def fingerprint(key: str) -> str:
    """A way to tell keys apart without showing them: the last four characters."""
    return f"…{key[-4:]}" if len(key) >= 12 else "(short key)"
