"""GGUF (llama.cpp) headers: metadata, tensor table, bounds, and chat templates.

Follows the GGUF specification (ggml ``docs/gguf.md``): magic ``GGUF``, version (1–3), tensor
count and metadata count (u64; u32 in version 1), typed key/value metadata, tensor infos (name,
dimensions, ggml type, offset), then the data section aligned to ``general.alignment``
(default 32). Block sizes of the ggml types are those of ``ggml.c`` ``type_traits``. A chat
template (``tokenizer.chat_template``) is Jinja code rendered by the runtime;
CVE-2024-34359 (llama-cpp-python) ran templates that reach Python internals through dunder
attributes, so any ``__`` in a template blocks.
"""

from __future__ import annotations

import struct

from caresec.analyze.modelscan.context import Context
from caresec.model.ai_model import IssueKind

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

#: ggml type id → (block size in elements, bytes per block).
GGML_TYPES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
    14: (256, 210), 15: (256, 292), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
    28: (1, 8), 30: (1, 2),
}

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class _Bad(Exception):
    def __init__(self, kind: IssueKind, message: str, offset: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.offset = offset


class _Cursor:
    def __init__(self, data: bytes, ctx: Context, version: int) -> None:
        self.data = data
        self.pos = 0
        self.ctx = ctx
        self.count_fmt = "<I" if version == 1 else "<Q"

    def unpack(self, fmt: str) -> object:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise _Bad(IssueKind.PARSE_ERROR, "header ends inside a value (truncated)", self.pos)
        value: object = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += size
        return value

    def count(self, what: str) -> int:
        start = self.pos
        value = self.unpack(self.count_fmt)
        assert isinstance(value, int)
        if value > self.ctx.limits.max_gguf_items:
            raise _Bad(IssueKind.LIMIT_EXCEEDED,
                       f"{what} count {value} exceeds {self.ctx.limits.max_gguf_items}", start)
        return value

    def string(self) -> str:
        start = self.pos
        length = self.unpack(self.count_fmt)
        assert isinstance(length, int)
        if length > self.ctx.limits.max_header_bytes:
            raise _Bad(IssueKind.LIMIT_EXCEEDED, f"string of {length} bytes", start)
        if self.pos + length > len(self.data):
            raise _Bad(IssueKind.PARSE_ERROR,
                       f"string of {length} bytes runs past the end of the file", start)
        raw = bytes(self.data[self.pos : self.pos + length])
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Bad(IssueKind.PARSE_ERROR, "string is not UTF-8", start) from exc

    def value(self, kind: int, depth: int = 0) -> object:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY and depth < 4:
            item_kind = self.unpack("<I")
            assert isinstance(item_kind, int)
            n = self.count("array")
            if item_kind in _SCALARS:  # skip scalar arrays without building them
                size = struct.calcsize(_SCALARS[item_kind]) * n
                if self.pos + size > len(self.data):
                    raise _Bad(IssueKind.PARSE_ERROR, "array runs past the end of the file",
                               self.pos)
                self.pos += size
                return None
            return [self.value(item_kind, depth + 1) for _ in range(n)]
        raise _Bad(IssueKind.PARSE_ERROR, f"unknown metadata value type {kind}", self.pos - 4)


def scan_gguf(ctx: Context, data: bytes, part: str) -> None:
    """Check a GGUF file's header, tensor table and data bounds."""
    if len(data) < 8:
        ctx.issue(IssueKind.PARSE_ERROR, "shorter than the GGUF header", part, 0)
        return
    version = struct.unpack_from("<I", data, 4)[0]
    if version not in (1, 2, 3):
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT, f"GGUF version {version}", part, 4)
        return
    cursor = _Cursor(data, ctx, version)
    cursor.pos = 8
    try:
        n_tensors = cursor.count("tensor")
        n_kv = cursor.count("metadata")
        alignment = DEFAULT_ALIGNMENT
        for _ in range(n_kv):
            key_at = cursor.pos
            key = cursor.string()
            kind = cursor.unpack("<I")
            assert isinstance(kind, int)
            value = cursor.value(kind)
            if key == "general.alignment":
                if not (isinstance(value, int) and value > 0 and value % 8 == 0):
                    raise _Bad(IssueKind.PARSE_ERROR,
                               f"general.alignment {value!r} is not a positive multiple of 8",
                               key_at)
                alignment = value
            if key.startswith("tokenizer.chat_template") and isinstance(value, str) and (
                    "__" in value):
                ctx.issue(IssueKind.TEMPLATE_CODE,
                          f"{key} uses dunder attributes (Jinja sandbox escape, "
                          "CVE-2024-34359 class)", part, key_at)
        tensors: list[tuple[int, int, str, int]] = []
        for _ in range(n_tensors):
            info_at = cursor.pos
            name = cursor.string()
            n_dims = cursor.unpack("<I")
            assert isinstance(n_dims, int)
            if n_dims > 8:
                raise _Bad(IssueKind.PARSE_ERROR, f"tensor {name!r} has {n_dims} dimensions",
                           info_at)
            dims = [cursor.unpack(cursor.count_fmt) for _ in range(n_dims)]
            ggml_type = cursor.unpack("<I")
            offset = cursor.unpack("<Q")
            assert isinstance(ggml_type, int) and isinstance(offset, int)
            size = _tensor_bytes(name, [int(str(d)) for d in dims], ggml_type, info_at)
            tensors.append((offset, size, name, info_at))
    except _Bad as exc:
        ctx.issue(exc.kind, str(exc), part, exc.offset)
        return
    data_start = -(-cursor.pos // alignment) * alignment
    if data_start > len(data):
        ctx.issue(IssueKind.PARSE_ERROR, "file ends before the tensor data section", part,
                  cursor.pos)
        return
    _check_tensors(ctx, tensors, alignment, data_start, len(data), part)


def _tensor_bytes(name: str, dims: list[int], ggml_type: int, at: int) -> int:
    if ggml_type not in GGML_TYPES:
        raise _Bad(IssueKind.UNSUPPORTED_FORMAT,
                   f"tensor {name!r} has ggml type {ggml_type}, which caresec cannot size", at)
    block, block_bytes = GGML_TYPES[ggml_type]
    if dims and dims[0] % block:
        raise _Bad(IssueKind.HEADER_INCONSISTENT,
                   f"tensor {name!r} first dimension {dims[0]} is not a multiple of the block "
                   f"size {block}", at)
    elements = 1
    for d in dims:
        elements *= d
    return elements // block * block_bytes


def _check_tensors(ctx: Context, tensors: list[tuple[int, int, str, int]], alignment: int,
                   data_start: int, length: int, part: str) -> None:
    cursor = 0
    available = length - data_start
    for offset, size, name, info_at in sorted(tensors):
        if offset % alignment:
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"tensor {name!r} offset {offset} is not aligned to {alignment}", part,
                      info_at)
        if offset < cursor:
            ctx.issue(IssueKind.HEADER_INCONSISTENT, f"tensor {name!r} overlaps another", part,
                      info_at)
        if offset + size > available:
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"tensor {name!r} ends at {offset + size} bytes into the data section, "
                      f"which holds {available}", part, info_at)
        cursor = max(cursor, offset + size)
    padded = -(-cursor // alignment) * alignment
    if available > padded:
        ctx.issue(IssueKind.TRAILING_DATA,
                  f"{available - padded} bytes after the last tensor", part, data_start + padded)
