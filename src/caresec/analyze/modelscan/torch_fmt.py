"""PyTorch checkpoints: the ZIP format (``torch.save`` since 1.6) and the legacy format.

Follows ``torch/serialization.py``: ``_save``/``_load`` (ZIP: ``<prefix>/data.pkl`` with
persistent ids ``('storage', storage_type, key, location, numel)`` and one record
``<prefix>/data/<key>`` per storage, plus ``version``, ``byteorder``, ``.data/version``,
``.data/serialization_id``, ``.format_version``, ``.storage_alignment``) and
``_legacy_save``/``_legacy_load`` (five pickles — magic number, protocol version, system info,
the object, the storage keys — then, per key, an 8-byte little-endian element count and the raw
storage bytes). Any other member (TorchScript ``code/``, ``constants.pkl``, ``torch.package``
sources) is executable content and is not admitted.
"""

from __future__ import annotations

import re
import struct
import zlib

from caresec.analyze.modelscan.archive import STORED, ZipListing, ZipMember, extract
from caresec.analyze.modelscan.context import Context
from caresec.analyze.modelscan.pickle_vm import PickleResult, SymList, TorchStorage
from caresec.model.ai_model import IssueKind

#: ``torch.serialization.MAGIC_NUMBER``.
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
#: ``torch.serialization.PROTOCOL_VERSION``.
PROTOCOL_VERSION = 1001

_DIGITS = re.compile(rb"^\d{1,64}\n?$")
_SMALL_RECORDS = {
    "version": _DIGITS,
    ".data/version": _DIGITS,
    ".data/serialization_id": _DIGITS,
    ".format_version": _DIGITS,
    ".storage_alignment": _DIGITS,
    "byteorder": re.compile(rb"^(little|big)$"),
}


def torch_prefix(listing: ZipListing) -> str | None:
    """The record prefix (``archive/``) when the archive is a ``torch.save`` ZIP, else None.

    A PyTorch archive has every member under one top folder and a ``data.pkl`` in it.
    """
    names = [m.name for m in listing.members]
    for name in names:
        head, sep, tail = name.partition("/")
        if sep and tail == "data.pkl":
            prefix = head + "/"
            if all(n.startswith(prefix) for n in names):
                return prefix
    return None


def scan_torch_zip(ctx: Context, data: bytes, listing: ZipListing, prefix: str, part: str,
                   depth: int) -> None:
    """Check a ``torch.save`` ZIP: walk ``data.pkl`` with PyTorch semantics, match every
    storage to its record, and accept only the known small records."""
    members = {m.name: m for m in listing.members}
    pkl_name = prefix + "data.pkl"
    extracted = extract(data, members[pkl_name], part=part, limits=ctx.limits, budget=ctx.budget)
    ctx.issues.extend(extracted.issues)
    storages: dict[str, TorchStorage] = {}
    pkl_part = _join(part, pkl_name)
    ctx.parts.append(pkl_part)
    if extracted.content is not None:
        results = ctx.walk_pickles(extracted.content, pkl_part, default_framework="pytorch",
                                   persistent="torch", count=1)
        _only_one(ctx, results, extracted.content, pkl_part)
        for result in results:
            storages.update(result.storages)
    sizes = ctx.catalog.storage_sizes
    for key, storage in storages.items():
        record = members.get(f"{prefix}data/{key}")
        if record is None:
            if not storage.location.startswith("meta"):
                ctx.issue(IssueKind.HEADER_INCONSISTENT,
                          f"storage {key!r} has no record {prefix}data/{key}", pkl_part,
                          storage.offset)
            continue
        element = sizes.get(storage.storage_type.name)
        if element is None or not storage.storage_type.module.startswith("torch"):
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"storage {key!r} has unknown type {storage.storage_type.dotted}",
                      pkl_part, storage.offset)
        elif record.size != storage.numel * element:
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"storage {key!r} declares {storage.numel} × {element} bytes but its "
                      f"record holds {record.size}", pkl_part, storage.offset)
    for member in listing.members:
        name = member.name[len(prefix):]
        if member.name == pkl_name:
            continue
        member_part = _join(part, member.name)
        if name.startswith("data/") and name[5:] in storages:
            ctx.parts.append(member_part)
            _check_raw(ctx, data, member, member_part)
            continue
        pattern = _SMALL_RECORDS.get(name)
        if pattern is not None:
            ctx.parts.append(member_part)
            content = extract(data, member, part=part, limits=ctx.limits, budget=ctx.budget)
            ctx.issues.extend(content.issues)
            if content.content is not None and not pattern.match(content.content):
                ctx.issue(IssueKind.PARSE_ERROR, f"record {name!r} has unexpected content",
                          member_part, 0)
            continue
        if name.startswith("data/"):
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      "storage record not referenced by data.pkl", member_part, 0)
        else:
            ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                      "member is not part of a torch.save checkpoint (TorchScript code, "
                      "torch.package sources or extra files are not admitted)", member_part, 0)
        content = extract(data, member, part=part, limits=ctx.limits, budget=ctx.budget)
        ctx.issues.extend(content.issues)
        if content.content is not None and not name.startswith("data/"):
            ctx.inspect_part(ctx, content.content, member_part, depth + 1)


def _check_raw(ctx: Context, data: bytes, member: ZipMember, part: str) -> None:
    """Raw storage bytes are never interpreted; only the container is checked (CRC, flags)."""
    if member.method == STORED and not member.encrypted:
        crc = 0
        view = memoryview(data)
        for begin in range(member.data_offset, member.data_offset + member.compressed_size,
                           1 << 24):
            stop = min(begin + (1 << 24), member.data_offset + member.compressed_size)
            crc = zlib.crc32(view[begin:stop], crc)
        if crc != member.crc:
            ctx.issue(IssueKind.ARCHIVE_ANOMALY,
                      f"CRC-32 0x{crc:08x} does not match the declared 0x{member.crc:08x}",
                      part, member.data_offset)
        return
    content = extract(data, member, part="", limits=ctx.limits, budget=ctx.budget)
    for found in content.issues:
        ctx.issue(found.kind, found.message, part, found.offset)


def is_legacy(first: PickleResult) -> bool:
    """True when the first pickle is the bare legacy magic number."""
    return first.complete and not first.globals and first.root == MAGIC_NUMBER


def scan_torch_legacy(ctx: Context, data: bytes, part: str) -> None:
    """Check a legacy ``torch.save`` file: the five pickles, then every storage's bytes."""
    results: list[PickleResult] = []
    pos = 0
    for index, mode in enumerate(("reject", "reject", "reject", "torch", "reject")):
        walked = ctx.walk_pickles(data, part, start=pos, default_framework="pytorch",
                                  persistent="torch" if mode == "torch" else "reject", count=1)
        if not walked or not walked[0].complete:
            if not walked:
                ctx.issue(IssueKind.PARSE_ERROR,
                          f"legacy PyTorch file ends before pickle #{index + 1}", part, pos)
            return
        results.append(walked[0])
        pos = walked[0].end
    if results[1].root != PROTOCOL_VERSION:
        ctx.issue(IssueKind.UNSUPPORTED_FORMAT,
                  f"legacy PyTorch protocol version {results[1].root!r} (expected "
                  f"{PROTOCOL_VERSION})", part, results[1].start)
    keys = results[4].root
    if not (isinstance(keys, SymList) and all(isinstance(k, str) for k in keys.items)):
        ctx.issue(IssueKind.PARSE_ERROR, "legacy PyTorch storage-key list is not a list of "
                  "strings", part, results[4].start)
        return
    storages = results[3].storages
    sizes = ctx.catalog.storage_sizes
    for key in keys.items:
        assert isinstance(key, str)
        storage = storages.get(key)
        if storage is None:
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"storage key {key!r} is not referenced by the object pickle", part, pos)
            return
        element = sizes.get(storage.storage_type.name)
        if element is None:
            ctx.issue(IssueKind.HEADER_INCONSISTENT,
                      f"storage {key!r} has unknown type {storage.storage_type.dotted}", part,
                      storage.offset)
            return
        if pos + 8 > len(data):
            ctx.issue(IssueKind.PARSE_ERROR, f"file ends inside the size of storage {key!r}",
                      part, pos)
            return
        numel = struct.unpack_from("<q", data, pos)[0]
        end = pos + 8 + numel * element
        if numel < 0 or end > len(data):
            ctx.issue(IssueKind.PARSE_ERROR,
                      f"storage {key!r} declares {numel} elements, past the end of the file",
                      part, pos)
            return
        pos = end
    if pos != len(data):
        ctx.issue(IssueKind.TRAILING_DATA,
                  f"{len(data) - pos} bytes after the last storage", part, pos)


def _only_one(ctx: Context, results: list[PickleResult], data: bytes, part: str) -> None:
    if results and results[-1].complete and results[-1].end < len(data):
        ctx.issue(IssueKind.TRAILING_DATA,
                  f"{len(data) - results[-1].end} bytes after the end of the pickle", part,
                  results[-1].end)


def _join(part: str, member: str) -> str:
    return f"{part}!{member}" if part else member
