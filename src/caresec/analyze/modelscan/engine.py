"""Recognize a model file's format from its content and inspect every part of it.

Formats are recognized by magic bytes and structure, never by the file name (the "wrong
extension" bypass). Archives and compressed streams are opened part by part, recursively, within
:class:`ScanLimits`. The verdict is ``pass`` only when every part was recognized and fully
understood, caresec found nothing, and no public scanner flagged or failed on anything.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import pickletools
import posixpath
import zlib

from caresec import __version__
from caresec.analyze.modelscan.archive import extract, list_zip
from caresec.analyze.modelscan.context import Context, ScanPolicy
from caresec.analyze.modelscan.external import SCANNERS, run_external
from caresec.analyze.modelscan.gguf_fmt import MAGIC as GGUF_MAGIC
from caresec.analyze.modelscan.gguf_fmt import scan_gguf
from caresec.analyze.modelscan.keras_fmt import HDF5_MAGIC, is_keras, scan_hdf5, scan_keras
from caresec.analyze.modelscan.numpy_fmt import MAGIC as NPY_MAGIC
from caresec.analyze.modelscan.numpy_fmt import is_npz, scan_npy, scan_npz
from caresec.analyze.modelscan.onnx_fmt import parse_onnx, scan_onnx
from caresec.analyze.modelscan.pickle_vm import JOBLIB_WRAPPER, PickleMachine
from caresec.analyze.modelscan.safetensors_fmt import looks_like_safetensors, scan_safetensors
from caresec.analyze.modelscan.torch_fmt import (
    is_legacy,
    scan_torch_legacy,
    scan_torch_zip,
    torch_prefix,
)
from caresec.model.ai_model import (
    IssueKind,
    ModelFormat,
    ScanIssue,
    ScannerRun,
    ScannerStatus,
    ScanOutcome,
    ScanVerdict,
)

_PICKLE_OPCODES = frozenset(op.code.encode("latin-1") for op in pickletools.opcodes)

#: Member names accepted as plain text inside a generic archive (documentation and data).
TEXT_SUFFIXES = frozenset({".txt", ".md", ".json", ".csv", ".tsv", ".yaml", ".yml", ".vocab",
                           ".merges", ".license"})
TEXT_NAMES = frozenset({"LICENSE", "README", "NOTICE", "COPYING"})


def scan_model_bytes(data: bytes, *, name: str, policy: ScanPolicy | None = None,
                     sha256: str = "") -> ScanVerdict:
    """Scan one model file's bytes (a pure function: no file, network or import of content).

    Args:
        data: the whole file (``bytes``, or a read-only ``mmap`` for large files: only slicing,
            indexing, ``find`` and hashing are used).
        name: the file as the user named it (used in issues and the verdict).
        policy: :class:`ScanPolicy`; the default is the fail-closed policy.
        sha256: the digest when already computed by the caller.

    Returns:
        The :class:`ScanVerdict`.
    """
    policy = policy or ScanPolicy()
    ctx = Context(policy, inspect_part=_inspect)
    if len(data) > policy.limits.max_file_bytes:
        ctx.issue(IssueKind.LIMIT_EXCEEDED,
                  f"file of {len(data)} bytes exceeds the scan limit "
                  f"({policy.limits.max_file_bytes})", "", 0)
        fmt = ModelFormat.UNKNOWN
    else:
        try:
            fmt = _inspect(ctx, data, "", 0)
        except Exception as exc:  # fail closed: a reader failure is a block, not a crash
            ctx.issue(IssueKind.PARSE_ERROR,
                      f"the scanner could not finish reading the file ({type(exc).__name__}: "
                      f"{exc}); it is blocked rather than trusted", "", None)
            fmt = ModelFormat.UNKNOWN
    scanners = [ScannerRun("caresec", __version__,
                           ScannerStatus.FLAGGED if ctx.issues else ScannerStatus.CLEAN,
                           f"{len(ctx.issues)} issue(s)" if ctx.issues else "")]
    if policy.external:
        _consult(ctx, scanners)
    issues = _ordered(ctx)
    return ScanVerdict(
        path=name,
        size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        format=fmt,
        framework=", ".join(ctx.frameworks_used) or "-",
        outcome=ScanOutcome.BLOCK if issues else ScanOutcome.PASS,
        issues=tuple(issues),
        scanners=tuple(scanners),
        globals_seen=tuple(sorted(ctx.globals_seen)),
        parts=tuple(dict.fromkeys(ctx.parts)),
    )


def _consult(ctx: Context, scanners: list[ScannerRun]) -> None:
    blocked_parts = {i.member for i in ctx.issues}
    for scanner in SCANNERS:
        report = run_external(scanner, ctx.units)
        scanners.append(report.run)
        if report.run.status is ScannerStatus.NOT_INSTALLED:
            if scanner in ctx.policy.required_scanners:
                ctx.issue(IssueKind.SCANNER_UNAVAILABLE,
                          f"required scanner {scanner} is not installed", "")
            continue
        for part, detail in report.flagged:
            if part not in blocked_parts:
                ctx.issue(IssueKind.SCANNER_DISAGREEMENT,
                          f"{scanner} {report.run.version} flags this part ({detail}) although "
                          "caresec found nothing", part)
        for part, detail in report.errors:
            if part not in blocked_parts:
                ctx.issue(IssueKind.SCANNER_DISAGREEMENT,
                          f"{scanner} {report.run.version} failed on this part ({detail}) "
                          "although caresec read it", part)


def _ordered(ctx: Context) -> list[ScanIssue]:
    order = {part: index for index, part in enumerate(dict.fromkeys(ctx.parts))}
    unique = list(dict.fromkeys(ctx.issues))
    return sorted(unique, key=lambda i: (order.get(i.member, len(order)),
                                         -1 if i.offset is None else i.offset))


def _inspect(ctx: Context, data: bytes, part: str, depth: int) -> ModelFormat:
    """Recognize ``data`` and dispatch to its reader; returns the format recognized."""
    ctx.parts.append(part)
    if depth > ctx.limits.max_depth:
        ctx.issue(IssueKind.LIMIT_EXCEEDED,
                  f"nested deeper than {ctx.limits.max_depth} levels", part, 0)
        return ModelFormat.UNKNOWN
    if not data:
        if not part:
            ctx.issue(IssueKind.PARSE_ERROR, "the file is empty", part, 0)
        return ModelFormat.TEXT
    head = bytes(data[:16])
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip(ctx, data, part, depth)
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                  "7z archive: not inspected (extract it and scan the members)", part, 0)
        return ModelFormat.UNKNOWN
    if head.startswith(NPY_MAGIC):
        scan_npy(ctx, data, part)
        return ModelFormat.NUMPY
    if head.startswith(HDF5_MAGIC):
        return ModelFormat.KERAS_H5 if scan_hdf5(ctx, data, part) else ModelFormat.HDF5
    if head.startswith(GGUF_MAGIC):
        scan_gguf(ctx, data, part)
        return ModelFormat.GGUF
    if looks_like_safetensors(data):
        scan_safetensors(ctx, data, part)
        return ModelFormat.SAFETENSORS
    if _compressed_kind(head):
        return _decompress(ctx, data, part, depth, _compressed_kind(head))
    if len(data) > 262 and bytes(data[257:262]) == b"ustar":
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                  "tar archive: not inspected (extract it and scan the members)", part, 0)
        return ModelFormat.UNKNOWN
    if head[:1] in _PICKLE_OPCODES:
        fmt = _pickle(ctx, data, part)
        if fmt is not None:
            return fmt
    # protobuf messages are limited to 2 GiB; larger ONNX models keep tensors as external data.
    model = parse_onnx(data) if len(data) < 2**31 else None
    if model is not None:
        scan_onnx(ctx, model, part)
        return ModelFormat.ONNX
    if part and _is_text_member(data, part):
        return ModelFormat.TEXT
    ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
              f"not a recognized model format (first bytes {head[:8].hex(' ')})", part, 0)
    return ModelFormat.UNKNOWN


def _is_text_member(data: bytes, part: str) -> bool:
    name = part.rsplit("!", 1)[-1]
    base = posixpath.basename(name)
    suffix = posixpath.splitext(base)[1].lower()
    if suffix not in TEXT_SUFFIXES and base.upper() not in TEXT_NAMES:
        return False
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _pickle(ctx: Context, data: bytes, part: str) -> ModelFormat | None:
    """Walk a pickle stream; None when the bytes are not a pickle at all (the first pickle
    fails before importing or calling anything)."""
    peek = PickleMachine(data, 0, member=part, limits=ctx.limits, persistent="torch").run()
    # Without an import nothing can run: the real loader raises at the bad opcode.
    if not peek.complete and not peek.globals and peek.end < 64:
        if not part:
            ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                      "not a recognized model format: not a pickle ("
                      + (peek.issues[-1].message if peek.issues else "unreadable") + ")",
                      part, peek.issues[-1].offset if peek.issues else 0)
            return ModelFormat.UNKNOWN
        return None
    if is_legacy(peek):
        scan_torch_legacy(ctx, data, part)
        return ModelFormat.PYTORCH_LEGACY
    sample = bytes(data[: 1 << 20])
    if b"joblib.numpy_pickle" in sample:
        default = "joblib"
    elif b"numpy" in sample:
        default = "numpy"
    else:
        default = "pickle"
    # Persistent ids only have a meaning inside PyTorch containers; in a plain pickle they
    # depend on the loading program, so they are unsafe whatever the framework.
    results = ctx.walk_pickles(data, part, default_framework=default, persistent="reject")
    joblib = any((g.module, g.name) == JOBLIB_WRAPPER for r in results for g in r.globals)
    return ModelFormat.JOBLIB if joblib else ModelFormat.PICKLE


def _zip(ctx: Context, data: bytes, part: str, depth: int) -> ModelFormat:
    listing = list_zip(data, part=part, limits=ctx.limits)
    ctx.issues.extend(listing.issues)
    if not listing.readable:
        return ModelFormat.ZIP
    prefix = torch_prefix(listing)
    if prefix is not None:
        scan_torch_zip(ctx, data, listing, prefix, part, depth)
        return ModelFormat.PYTORCH_ZIP
    if is_keras(listing):
        scan_keras(ctx, data, listing, part, depth)
        return ModelFormat.KERAS
    if is_npz(listing):
        scan_npz(ctx, data, listing, part, depth)
        return ModelFormat.NPZ
    if not listing.members:
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT, "the archive holds no members", part, 0)
    for member in listing.members:
        member_part = f"{part}!{member.name}" if part else member.name
        if member.name.endswith("/") and member.size == 0:
            continue
        content = extract(data, member, part=part, limits=ctx.limits, budget=ctx.budget)
        ctx.issues.extend(content.issues)
        if content.content is None:
            ctx.parts.append(member_part)
            continue
        first = len(ctx.issues)
        _inspect(ctx, content.content, member_part, depth + 1)
        if member.encrypted:
            # The raw bytes were inspected in case a loader ignores the flag (PyTorch does);
            # ciphertext that is not recognized adds nothing to the "encrypted" issue.
            ctx.issues[first:] = [i for i in ctx.issues[first:]
                                  if i.kind is not IssueKind.UNSUPPORTED_FORMAT]
    return ModelFormat.ZIP


def _compressed_kind(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return ""


def _decompress(ctx: Context, data: bytes, part: str, depth: int, kind: str) -> ModelFormat:
    """Decompress a whole-file stream (joblib's ``compress=`` output) within the limits and
    inspect what it holds."""
    cap = min(ctx.limits.max_member_bytes, ctx.budget[0])
    if len(data) > cap:
        ctx.issue(IssueKind.LIMIT_EXCEEDED,
                  f"{kind} stream of {len(data)} bytes exceeds the member limit ({cap})", part, 0)
        return ModelFormat.COMPRESSED
    raw = bytes(data)
    try:
        if kind in ("gzip", "zlib"):
            inflater = zlib.decompressobj(31 if kind == "gzip" else 15)
            content = inflater.decompress(raw, cap + 1)
            done, rest = inflater.eof, inflater.unused_data
        elif kind == "bzip2":
            bunzip = bz2.BZ2Decompressor()
            content = bunzip.decompress(raw, cap + 1)
            done, rest = bunzip.eof, bunzip.unused_data
        else:
            unxz = lzma.LZMADecompressor()
            content = unxz.decompress(raw, cap + 1)
            done, rest = unxz.eof, unxz.unused_data
    except (zlib.error, OSError, lzma.LZMAError, EOFError) as exc:
        ctx.issue(IssueKind.PARSE_ERROR, f"{kind} stream is corrupt: {exc}", part, 0)
        return ModelFormat.COMPRESSED
    if len(content) > cap:
        ctx.issue(IssueKind.LIMIT_EXCEEDED, f"{kind} stream expands past {cap} bytes", part, 0)
        return ModelFormat.COMPRESSED
    if len(content) // max(1, len(raw)) > ctx.limits.max_ratio:
        ctx.issue(IssueKind.LIMIT_EXCEEDED,
                  f"{kind} compression ratio above {ctx.limits.max_ratio}:1", part, 0)
        return ModelFormat.COMPRESSED
    if not done:
        ctx.issue(IssueKind.PARSE_ERROR, f"{kind} stream is truncated", part, len(raw))
    elif rest:
        ctx.issue(IssueKind.TRAILING_DATA, f"{len(rest)} bytes after the {kind} stream", part,
                  len(raw) - len(rest))
    ctx.budget[0] -= len(content)
    _inspect(ctx, content, f"{part}!{kind}" if part else kind, depth + 1)
    return ModelFormat.COMPRESSED
