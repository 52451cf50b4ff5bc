"""The metadata at the head of a GGUF file, read without loading the model.

A GGUF file starts with key-value pairs (architecture, context length, chat template,
the vocabulary…) before the tensors. The local provider needs three of them — whether the
model brings a chat template, and how long a context it was trained for — before it
loads the model, so it reads them here with `mmap` and `struct`: no dependency, no
tensor touched. Arrays (the vocabulary: 262,144 strings for Gemma 3) are skipped, not
decoded. The format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

MAGIC = b"GGUF"
# Value types: their struct format, or None for the variable-sized ones.
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
STRING, ARRAY = 8, 9


class GGUFError(ValueError):
    """The file is not a GGUF file, or its header is cut short or malformed."""


def metadata(path: Path) -> dict[str, Any]:
    """The file's scalar and string metadata (arrays are left out)."""
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            return _read(data)
        except (struct.error, IndexError, UnicodeDecodeError):
            raise GGUFError("its GGUF header is cut short or damaged") from None


def _read(data: mmap.mmap) -> dict[str, Any]:
    if data[:4] != MAGIC:
        raise GGUFError("it is not a GGUF file (it does not begin with 'GGUF')")
    version, _tensors, count = struct.unpack_from("<IQQ", data, 4)
    if version < 2:
        raise GGUFError(f"GGUF version {version} is too old")
    offset, found = 24, {}
    for _ in range(count):
        key, offset = _string(data, offset)
        (kind,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if kind == ARRAY:
            offset = _skip_array(data, offset)
            continue
        found[key], offset = _value(data, offset, kind)
    return found


def _string(data: mmap.mmap, offset: int) -> tuple[str, int]:
    (size,) = struct.unpack_from("<Q", data, offset)
    start = offset + 8
    if start + size > len(data):
        raise GGUFError("its GGUF header is cut short or damaged")
    return data[start : start + size].decode("utf-8"), start + size


def _value(data: mmap.mmap, offset: int, kind: int) -> tuple[Any, int]:
    if kind == STRING:
        return _string(data, offset)
    form = _SCALARS.get(kind)
    if form is None:
        raise GGUFError(f"unknown value type {kind}")
    (value,) = struct.unpack_from("<" + form, data, offset)
    return value, offset + struct.calcsize(form)


def _skip_array(data: mmap.mmap, offset: int) -> int:
    kind, count = struct.unpack_from("<IQ", data, offset)
    offset += 12
    if kind == STRING:
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", data, offset)
            offset += 8 + size
        return offset
    form = _SCALARS.get(kind)
    if form is None:
        raise GGUFError(f"unknown array type {kind}")
    return offset + count * struct.calcsize(form)


def chat_template(meta: dict[str, Any]) -> str | None:
    """The model's own chat template, if it brings one."""
    template = meta.get("tokenizer.chat_template")
    return template if isinstance(template, str) and template.strip() else None


def trained_context(meta: dict[str, Any]) -> int | None:
    """The context length the model was trained for, if the file says."""
    value = meta.get(f"{meta.get('general.architecture', '')}.context_length")
    return value if isinstance(value, int) and value > 0 else None
