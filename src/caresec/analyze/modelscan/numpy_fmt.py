"""NumPy ``.npy`` files and ``.npz`` archives.

Follows the NPY format specification (``numpy/lib/format.py`` docstring, "Format Version 1.0"
to "3.0"): magic ``\\x93NUMPY``, major and minor version bytes, a little-endian header length
(2 bytes in 1.0, 4 in 2.0/3.0), and a Python dict literal with exactly ``descr``,
``fortran_order`` and ``shape``. The header is read with :func:`ast.literal_eval` (as NumPy
does; it evaluates literals only). For object arrays the data is a pickle, walked with the
``numpy`` allow-list; otherwise the data length must equal the shape times the item size.
"""

from __future__ import annotations

import ast
import math
import struct
import warnings

from numpy.lib import format as npy_format

from caresec.analyze.modelscan.archive import ZipListing, extract
from caresec.analyze.modelscan.context import Context
from caresec.model.ai_model import IssueKind

MAGIC = b"\x93NUMPY"


def scan_npy(ctx: Context, data: bytes, part: str) -> None:
    """Check one ``.npy``: header, then pickle data (object arrays) or exact data size."""
    if len(data) < 10:
        ctx.issue(IssueKind.PARSE_ERROR, "NPY file shorter than its fixed header", part, 0)
        return
    major, minor = data[6], data[7]
    if (major, minor) == (1, 0):
        header_len, start = struct.unpack_from("<H", data, 8)[0], 10
    elif (major, minor) in ((2, 0), (3, 0)) and len(data) >= 12:
        header_len, start = struct.unpack_from("<I", data, 8)[0], 12
    else:
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT, f"NPY format version {major}.{minor}", part, 6)
        return
    end = start + header_len
    if end > len(data):
        ctx.issue(IssueKind.PARSE_ERROR,
                  f"NPY header declares {header_len} bytes, past the end of the file", part, 8)
        return
    try:
        text = bytes(data[start:end]).decode("utf-8" if major == 3 else "latin-1")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"NPY header is not a Python literal: {exc}", part, start)
        return
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        ctx.issue(IssueKind.PARSE_ERROR,
                  "NPY header must be a dict with exactly descr, fortran_order and shape", part,
                  start)
        return
    shape = header["shape"]
    if not (isinstance(shape, tuple) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
            and isinstance(header["fortran_order"], bool)):
        ctx.issue(IssueKind.PARSE_ERROR, "NPY shape or fortran_order is malformed", part, start)
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dtype = npy_format.descr_to_dtype(header["descr"])
    except (TypeError, ValueError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"NPY descr is not a NumPy dtype: {exc}", part, start)
        return
    if dtype.hasobject:
        results = ctx.walk_pickles(data, part, start=end, default_framework="numpy")
        if not results:
            ctx.issue(IssueKind.PARSE_ERROR, "object array without pickle data", part, end)
        return
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - end != expected:
        ctx.issue(IssueKind.HEADER_INCONSISTENT,
                  f"shape {shape} × {dtype.itemsize}-byte items needs {expected} data bytes but "
                  f"the file holds {len(data) - end}", part, end)


def is_npz(listing: ZipListing) -> bool:
    """True when every member is named ``*.npy`` (``numpy.savez`` output)."""
    return bool(listing.members) and all(m.name.endswith(".npy") for m in listing.members)


def scan_npz(ctx: Context, data: bytes, listing: ZipListing, part: str, depth: int) -> None:
    """Check every member of an ``.npz`` as an ``.npy``."""
    for member in listing.members:
        member_part = f"{part}!{member.name}" if part else member.name
        ctx.parts.append(member_part)
        content = extract(data, member, part=part, limits=ctx.limits, budget=ctx.budget)
        ctx.issues.extend(content.issues)
        if content.content is None:
            continue
        if not content.content.startswith(MAGIC):
            ctx.issue(IssueKind.PARSE_ERROR, "member named .npy is not an NPY file",
                      member_part, 0)
            ctx.inspect_part(ctx, content.content, member_part, depth + 1)
            continue
        scan_npy(ctx, content.content, member_part)

