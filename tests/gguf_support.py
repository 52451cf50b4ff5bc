"""Writing GGUF headers for tests: a file of metadata only, or a real model with keys added
(e.g. a chat template the bundled base model lacks), tensors untouched."""

from __future__ import annotations

import struct
from pathlib import Path

STRING, ARRAY = 8, 9


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _kv(key: str, value: object) -> bytes:
    if isinstance(value, bool):
        return _string(key) + struct.pack("<I?", 7, value)
    if isinstance(value, int):
        return _string(key) + struct.pack("<Iq", 11, value)
    if isinstance(value, float):
        return _string(key) + struct.pack("<Id", 12, value)
    if isinstance(value, str):
        return _string(key) + struct.pack("<I", STRING) + _string(value)
    assert isinstance(value, list)
    if all(isinstance(item, str) for item in value):
        items = b"".join(_string(item) for item in value)
        return _string(key) + struct.pack("<IIQ", ARRAY, STRING, len(value)) + items
    items = b"".join(struct.pack("<i", item) for item in value)
    return _string(key) + struct.pack("<IIQ", ARRAY, 5, len(value)) + items


def write_gguf(path: Path, metadata: dict[str, object]) -> Path:
    """A GGUF file (version 3) holding `metadata` and no tensors."""
    kvs = b"".join(_kv(key, value) for key, value in metadata.items())
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata)) + kvs)
    return path


def with_metadata(source: Path, target: Path, extra: dict[str, object]) -> Path:
    """A copy of the model `source` with the keys of `extra` added to its metadata."""
    data = source.read_bytes()
    version, tensors, count = struct.unpack_from("<IQQ", data, 4)
    offset = 24
    for _ in range(count):
        offset = _skip_string(data, offset)
        (kind,) = struct.unpack_from("<I", data, offset)
        offset = _skip_value(data, offset + 4, kind)
    kv_end = offset
    for _ in range(tensors):
        offset = _skip_string(data, offset)
        (dims,) = struct.unpack_from("<I", data, offset)
        offset += 4 + 8 * dims + 4 + 8  # the dimensions, the type, the data offset
    alignment = 32
    tensor_data = _aligned(offset, alignment)
    head = b"GGUF" + struct.pack("<IQQ", version, tensors, count + len(extra))
    body = data[24:kv_end] + b"".join(_kv(k, v) for k, v in extra.items()) + data[kv_end:offset]
    padding = b"\0" * (_aligned(len(head) + len(body), alignment) - len(head) - len(body))
    target.write_bytes(head + body + padding + data[tensor_data:])
    return target


def _aligned(offset: int, alignment: int) -> int:
    return offset + (-offset % alignment)


def _skip_string(data: bytes, offset: int) -> int:
    (size,) = struct.unpack_from("<Q", data, offset)
    return offset + 8 + size


_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(data: bytes, offset: int, kind: int) -> int:
    if kind == STRING:
        return _skip_string(data, offset)
    if kind != ARRAY:
        return offset + _SIZES[kind]
    item, count = struct.unpack_from("<IQ", data, offset)
    offset += 12
    for _ in range(count):
        offset = _skip_value(data, offset, item)
    return offset
