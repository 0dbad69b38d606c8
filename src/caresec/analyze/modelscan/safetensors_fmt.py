"""safetensors: header bounds and consistency.

Follows the safetensors format (huggingface/safetensors README, "Format"): an unsigned
little-endian 64-bit header size N, N bytes of UTF-8 JSON (an object; trailing spaces allowed),
then the byte buffer. Each tensor entry has exactly ``dtype``, ``shape`` and ``data_offsets``
``[begin, end]`` relative to the buffer; ``__metadata__`` is an optional string-to-string map.
The library refuses headers over 100,000,000 bytes, overlapping or out-of-order tensors and
holes in the buffer; so does this check, and it also refuses duplicate JSON keys, which two
parsers could resolve differently.
"""

from __future__ import annotations

import json
import math
import struct

from caresec.analyze.modelscan.context import Context
from caresec.model.ai_model import IssueKind

#: Bytes per element of each safetensors dtype (safetensors ``Dtype`` enum).
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "C64": 8,
    "I64": 8, "U64": 8, "F64": 8,
}


def looks_like_safetensors(data: bytes) -> bool:
    """True when the first 8 bytes are a header size followed by ``{`` (the size's bounds are
    then checked by :func:`scan_safetensors`)."""
    if len(data) < 10:
        return False
    size = struct.unpack_from("<Q", data, 0)[0]
    return size >= 2 and data[8:9] == b"{"


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise _Duplicate(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


def scan_safetensors(ctx: Context, data: bytes, part: str) -> None:
    """Check a safetensors file; every problem is an issue with its byte offset."""
    if len(data) < 8:
        ctx.issue(IssueKind.PARSE_ERROR, "shorter than the 8-byte header size", part, 0)
        return
    size = struct.unpack_from("<Q", data, 0)[0]
    if size > ctx.limits.max_header_bytes:
        ctx.issue(IssueKind.LIMIT_EXCEEDED,
                  f"header declares {size} bytes (limit {ctx.limits.max_header_bytes})", part, 0)
        return
    if 8 + size > len(data):
        ctx.issue(IssueKind.PARSE_ERROR,
                  f"header declares {size} bytes but the file has {len(data) - 8} after the size",
                  part, 0)
        return
    try:
        text = bytes(data[8 : 8 + size]).decode("utf-8")
        header = json.loads(text, object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"header is not valid JSON: {exc}", part, 8)
        return
    if not isinstance(header, dict):
        ctx.issue(IssueKind.PARSE_ERROR, "header is not a JSON object", part, 8)
        return
    buffer = len(data) - 8 - size
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not (isinstance(entry, dict)
                    and all(isinstance(v, str) for v in entry.values())):
                ctx.issue(IssueKind.PARSE_ERROR, "__metadata__ must map strings to strings",
                          part, 8)
            continue
        span = _tensor_span(ctx, name, entry, part)
        if span is not None:
            spans.append((span[0], span[1], name))
    cursor = 0
    for begin, end, name in sorted(spans):
        if begin != cursor:
            what = "overlaps the previous tensor" if begin < cursor else (
                f"leaves a hole of {begin - cursor} bytes before it")
            ctx.issue(IssueKind.HEADER_INCONSISTENT, f"tensor {name!r} {what}", part,
                      8 + size + min(begin, cursor))
        cursor = max(cursor, end)
    if cursor != buffer:
        ctx.issue(IssueKind.HEADER_INCONSISTENT,
                  f"tensors cover {cursor} bytes but the data buffer holds {buffer}", part,
                  8 + size + min(cursor, buffer))


def _tensor_span(ctx: Context, name: str, entry: object, part: str) -> tuple[int, int] | None:
    if not (isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"}):
        ctx.issue(IssueKind.PARSE_ERROR,
                  f"tensor {name!r} must have exactly dtype, shape and data_offsets", part, 8)
        return None
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPE_BYTES:
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT, f"tensor {name!r} has unknown dtype {dtype!r}",
                  part, 8)
        return None
    if not (isinstance(shape, list) and all(_natural(n) for n in shape)
            and isinstance(offsets, list) and len(offsets) == 2
            and all(_natural(n) for n in offsets) and offsets[0] <= offsets[1]):
        ctx.issue(IssueKind.PARSE_ERROR, f"tensor {name!r} has a malformed shape or offsets",
                  part, 8)
        return None
    expected = math.prod(shape) * DTYPE_BYTES[dtype]
    if offsets[1] - offsets[0] != expected:
        ctx.issue(IssueKind.HEADER_INCONSISTENT,
                  f"tensor {name!r}: shape {shape} of {dtype} needs {expected} bytes but its "
                  f"offsets span {offsets[1] - offsets[0]}", part, 8)
    return offsets[0], offsets[1]


def _natural(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
