"""ZIP archives read structure by structure, with the container tricks that fool scanners.

Follows PKWARE APPNOTE.TXT 6.3.10: end of central directory (§4.3.16), ZIP64 end record and
locator (§4.3.14–4.3.15), central directory headers (§4.3.12), local file headers (§4.3.7),
data descriptors (§4.3.9), general-purpose flag bits (§4.4.4), ZIP64 extra field (§4.5.3).
Python's :mod:`zipfile` is not used: it refuses some archives that PyTorch still loads (altered
flag bits, bad CRC) and silently trusts others (local names that differ from the central
directory), which is what the 2025 picklescan CVEs exploited. Here every such discrepancy is an
issue, and the member data is still extracted the way a lenient loader would, so the content is
inspected too.

Every byte of the archive must belong to a local header, member data, a data descriptor, the
central directory or the end records; anything else (prepended stubs, gaps, trailing bytes,
overlapping members) is reported.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from caresec.analyze.modelscan.limits import ScanLimits
from caresec.model.ai_model import IssueKind, ScanIssue

_EOCD = b"PK\x05\x06"
_ZIP64_EOCD = b"PK\x06\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"

FLAG_ENCRYPTED = 0x0001
FLAG_DESCRIPTOR = 0x0008
FLAG_UTF8 = 0x0800
#: Bits a model writer may set: encryption is handled separately; 1–2 are deflate options.
_HARMLESS_FLAGS = FLAG_ENCRYPTED | 0x0002 | 0x0004 | FLAG_DESCRIPTOR | FLAG_UTF8

STORED = 0
DEFLATED = 8


class _IssueFn(Protocol):
    def __call__(self, kind: IssueKind, message: str, offset: int | None,
                 member: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One member as the central directory describes it, checked against its local header.

    Attributes:
        name: the central-directory name (what PyTorch, NumPy and Keras look members up by).
        flags, method, crc, compressed_size, size: central-directory values.
        header_offset: offset of the local header.
        data_offset: offset of the member's (compressed) data.
    """

    name: str
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    data_offset: int

    @property
    def encrypted(self) -> bool:
        """Flag bit 0 (traditional or strong encryption)."""
        return bool(self.flags & FLAG_ENCRYPTED)


@dataclass(slots=True)
class ZipListing:
    """The members of an archive and what was wrong with its structure.

    Attributes:
        members: in central-directory order.
        issues: structural problems (each blocks).
        readable: False when not even the central directory could be read.
    """

    members: list[ZipMember] = field(default_factory=list)
    issues: list[ScanIssue] = field(default_factory=list)
    readable: bool = True


def _u16(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<H", data, offset)[0]
    return value


def _u32(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<I", data, offset)[0]
    return value


def _u64(data: bytes, offset: int) -> int:
    value: int = struct.unpack_from("<Q", data, offset)[0]
    return value


class _Structure(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def list_zip(data: bytes, *, part: str, limits: ScanLimits) -> ZipListing:
    """Read the central directory and check every member's local header.

    Args:
        data: the whole archive.
        part: name of the archive in issues.
        limits: member-count limit.

    Returns:
        A :class:`ZipListing`; :attr:`ZipListing.readable` is False when the end records or the
        central directory are unusable (one ``parse-error`` issue says why and where).
    """
    listing = ZipListing()

    def issue(kind: IssueKind, message: str, offset: int | None, member: str = "") -> None:
        where = f"{part}!{member}" if part and member else (member or part)
        listing.issues.append(ScanIssue(kind, message, where, offset))

    try:
        eocd = _find_eocd(data)
        regions: list[tuple[int, int, str]] = []
        total, cd_size, cd_offset, comment_len = (
            _u16(data, eocd + 10), _u32(data, eocd + 12), _u32(data, eocd + 16),
            _u16(data, eocd + 20))
        if _u16(data, eocd + 4) or _u16(data, eocd + 6):
            raise _Structure("multi-disk archives are not supported", eocd)
        end_of_eocd = eocd + 22 + comment_len
        if end_of_eocd > len(data):
            raise _Structure("end-of-central-directory comment runs past the end", eocd)
        regions.append((eocd, end_of_eocd, "end of central directory"))
        saturated = total == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset)
        if saturated or (eocd >= 20 and data[eocd - 20 : eocd - 16] == _ZIP64_LOCATOR):
            total64, size64, offset64 = _zip64_end(data, eocd, regions)
            if not saturated and (total64, size64, offset64) != (total, cd_size, cd_offset):
                raise _Structure("ZIP64 end record disagrees with the end-of-central-directory "
                                 "record", eocd)
            total, cd_size, cd_offset = total64, size64, offset64
        if total > limits.max_members:
            raise _Structure(f"{total} members (limit {limits.max_members})", eocd)
        if cd_offset + cd_size > len(data):
            raise _Structure("central directory runs past the end of the file", cd_offset)
        regions.append((cd_offset, cd_offset + cd_size, "central directory"))
    except (_Structure, struct.error) as exc:
        offset = exc.offset if isinstance(exc, _Structure) else None
        issue(IssueKind.PARSE_ERROR, f"not a readable ZIP archive: {exc}", offset)
        listing.readable = False
        return listing

    pos = cd_offset
    names: set[str] = set()
    for index in range(total):
        try:
            member, next_pos = _central_entry(data, pos, cd_offset + cd_size)
        except (_Structure, struct.error) as exc:
            offset = exc.offset if isinstance(exc, _Structure) else pos
            issue(IssueKind.PARSE_ERROR,
                  f"central directory entry {index} is unreadable: {exc}", offset)
            listing.readable = False
            return listing
        pos = next_pos
        if member.name in names:
            issue(IssueKind.ARCHIVE_ANOMALY,
                  "duplicate member name (readers disagree about which copy they load)",
                  member.header_offset, member.name)
        names.add(member.name)
        _check_name(member, issue)
        try:
            checked, region_end = _local_header(data, member, issue)
        except (_Structure, struct.error) as exc:
            offset = exc.offset if isinstance(exc, _Structure) else member.header_offset
            issue(IssueKind.ARCHIVE_ANOMALY, f"local header unreadable: {exc}", offset,
                  member.name)
            continue
        listing.members.append(checked)
        regions.append((checked.header_offset, region_end, f"member {checked.name}"))
    if pos != cd_offset + cd_size:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"central directory holds {cd_offset + cd_size - pos} bytes beyond its "
              f"{total} entries", pos)
    _check_coverage(regions, len(data), issue)
    return listing


def _find_eocd(data: bytes) -> int:
    floor = max(0, len(data) - (22 + 0xFFFF))
    index = data.rfind(_EOCD, floor)
    if index < 0 or index + 22 > len(data):
        raise _Structure("no end-of-central-directory record", len(data))
    return index


def _zip64_end(data: bytes, eocd: int, regions: list[tuple[int, int, str]]) -> tuple[int, int, int]:
    locator = eocd - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        raise _Structure("ZIP64 values without a ZIP64 locator", eocd)
    record = _u64(data, locator + 8)
    if data[record : record + 4] != _ZIP64_EOCD:
        raise _Structure("ZIP64 locator points to no ZIP64 end record", locator)
    size = _u64(data, record + 4) + 12
    regions.append((locator, locator + 20, "ZIP64 locator"))
    regions.append((record, record + size, "ZIP64 end record"))
    return _u64(data, record + 32), _u64(data, record + 40), _u64(data, record + 48)


def _decode_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8", "replace") if flags & FLAG_UTF8 else raw.decode("cp437")


def _zip64_extra(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 0x0001:
            cursor = 0
            if size == 0xFFFFFFFF and cursor + 8 <= len(body):
                size = _u64(body, cursor)
                cursor += 8
            if csize == 0xFFFFFFFF and cursor + 8 <= len(body):
                csize = _u64(body, cursor)
                cursor += 8
            if offset == 0xFFFFFFFF and cursor + 8 <= len(body):
                offset = _u64(body, cursor)
        pos += 4 + length
    return size, csize, offset


def _central_entry(data: bytes, pos: int, end: int) -> tuple[ZipMember, int]:
    if pos + 46 > end or data[pos : pos + 4] != _CENTRAL:
        raise _Structure("missing central directory header signature", pos)
    flags, method = _u16(data, pos + 8), _u16(data, pos + 10)
    crc, csize, size = _u32(data, pos + 16), _u32(data, pos + 20), _u32(data, pos + 24)
    name_len, extra_len, comment_len = _u16(data, pos + 28), _u16(data, pos + 30), _u16(data,
                                                                                        pos + 32)
    offset = _u32(data, pos + 42)
    name_end = pos + 46 + name_len
    next_pos = name_end + extra_len + comment_len
    if next_pos > end:
        raise _Structure("central directory entry runs past the directory", pos)
    name = _decode_name(bytes(data[pos + 46 : name_end]), flags)
    size, csize, offset = _zip64_extra(bytes(data[name_end : name_end + extra_len]), size,
                                       csize, offset)
    return ZipMember(name, flags, method, crc, csize, size, offset, -1), next_pos


def _check_name(member: ZipMember, issue: _IssueFn) -> None:
    name = member.name
    segments = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in segments or (len(name) > 1 and name[1] == ":"):
        issue(IssueKind.ARCHIVE_ANOMALY, "member path escapes the archive (absolute or '..')",
              member.header_offset, name)
    if "\x00" in name:
        issue(IssueKind.ARCHIVE_ANOMALY, "member name contains a NUL byte", member.header_offset,
              name)


def _local_header(data: bytes, member: ZipMember, issue: _IssueFn) -> tuple[ZipMember, int]:
    pos = member.header_offset
    if pos + 30 > len(data) or data[pos : pos + 4] != _LOCAL:
        raise _Structure("no local file header at the offset the central directory gives", pos)
    flags, method = _u16(data, pos + 6), _u16(data, pos + 8)
    crc, csize, size = _u32(data, pos + 14), _u32(data, pos + 18), _u32(data, pos + 22)
    name_len, extra_len = _u16(data, pos + 26), _u16(data, pos + 28)
    raw_name = bytes(data[pos + 30 : pos + 30 + name_len])
    extra = bytes(data[pos + 30 + name_len : pos + 30 + name_len + extra_len])
    data_offset = pos + 30 + name_len + extra_len
    if _decode_name(raw_name, flags) != member.name:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"local header names the member {_decode_name(raw_name, flags)!r} but the central "
              "directory says the other name (CVE-2025-1944 class: scanners and loaders read "
              "different names)", pos, member.name)
    if flags != member.flags:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"local header flags 0x{flags:04x} differ from central directory flags "
              f"0x{member.flags:04x}", pos, member.name)
    odd = (member.flags | flags) & ~_HARMLESS_FLAGS
    if odd:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"general-purpose flag bits 0x{odd:04x} set (CVE-2025-1945 class: Python's zipfile "
              "refuses such members while PyTorch loads them)", pos, member.name)
    if method != member.method:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"local header compression method {method} differs from central directory "
              f"method {member.method}", pos, member.name)
    size, csize, _ = _zip64_extra(extra, size, csize, 0)
    if not member.flags & FLAG_DESCRIPTOR and (crc, csize, size) != (
            member.crc, member.compressed_size, member.size):
        issue(IssueKind.ARCHIVE_ANOMALY,
              "local header CRC or sizes differ from the central directory", pos, member.name)
    data_end = data_offset + member.compressed_size
    if data_end > len(data):
        raise _Structure("member data runs past the end of the file", data_offset)
    region_end = data_end
    if member.flags & FLAG_DESCRIPTOR:
        region_end = _descriptor_end(data, data_end, member, issue)
    checked = ZipMember(member.name, member.flags, member.method, member.crc,
                        member.compressed_size, member.size, member.header_offset, data_offset)
    return checked, region_end


def _descriptor_end(data: bytes, pos: int, member: ZipMember, issue: _IssueFn) -> int:
    """End of the data descriptor after ``pos`` (APPNOTE §4.3.9: optional signature, CRC and
    two sizes of 4 or, for ZIP64, 8 bytes)."""
    expected = (member.crc, member.compressed_size, member.size)
    for sig in (True, False):
        start = pos + (4 if sig else 0)
        if sig and data[pos : pos + 4] != _DESCRIPTOR:
            continue
        for width in (4, 8):
            end = start + 4 + 2 * width
            if end > len(data):
                continue
            fmt = "<III" if width == 4 else "<IQQ"
            if struct.unpack_from(fmt, data, start) == expected:
                return end
    issue(IssueKind.ARCHIVE_ANOMALY,
          "data descriptor missing or disagrees with the central directory", pos, member.name)
    return pos


def _check_coverage(regions: list[tuple[int, int, str]], length: int, issue: _IssueFn) -> None:
    cursor = 0
    for start, end, what in sorted(regions):
        if start > cursor:
            issue(IssueKind.ARCHIVE_ANOMALY,
                  f"{start - cursor} bytes at offsets {cursor}–{start - 1} belong to no ZIP "
                  "structure (hidden data)", cursor)
        elif start < cursor:
            issue(IssueKind.ARCHIVE_ANOMALY,
                  f"{what} overlaps the preceding structure at offset {start} (overlapping "
                  "members)", start)
        cursor = max(cursor, end)
    if cursor < length:
        issue(IssueKind.ARCHIVE_ANOMALY,
              f"{length - cursor} bytes after the end of the archive", cursor)


@dataclass(frozen=True, slots=True)
class Extracted:
    """A member's content, or why it could not be had.

    Attributes:
        content: the decompressed bytes (None when unavailable).
        issues: problems met (CRC mismatch, unsupported method, limits, encryption).
    """

    content: bytes | None
    issues: tuple[ScanIssue, ...] = ()


def extract(data: bytes, member: ZipMember, *, part: str, limits: ScanLimits,
            budget: list[int]) -> Extracted:
    """Decompress one member the way a lenient loader would (flag bits ignored), checking CRC,
    size and ratio limits.

    An encrypted member is reported (``encrypted``) and its raw bytes are still inspected as if
    stored in the clear, since PyTorch ignores the flag; the one exception is a stored member
    whose encrypted payload is exactly the 12-byte ZipCrypto header (APPNOTE §6.1.3) with CRC 0
    and size 0: its plaintext is provably empty, so there is nothing to inspect.

    Args:
        data: the archive.
        member: the member.
        part: archive name for issues.
        limits: member-size, ratio and total limits.
        budget: one-element list holding the bytes still allowed for this file (decremented).
    """
    where = f"{part}!{member.name}" if part else member.name
    issues: list[ScanIssue] = []
    raw = data[member.data_offset : member.data_offset + member.compressed_size]
    if member.encrypted:
        if (member.method == STORED and member.compressed_size == 12 and member.size == 0
                and member.crc == 0):
            return Extracted(b"")
        issues.append(ScanIssue(
            IssueKind.ENCRYPTED,
            "member is encrypted and cannot be inspected (decrypt it and scan the content)",
            where, member.header_offset))
    declared = max(member.size, len(raw))
    if declared > limits.max_member_bytes or declared > budget[0]:
        issues.append(ScanIssue(IssueKind.LIMIT_EXCEEDED,
                                f"member declares {member.size} bytes (limit "
                                f"{min(limits.max_member_bytes, budget[0])})",
                                where, member.header_offset))
        return Extracted(None, tuple(issues))
    if member.method == STORED:
        content = bytes(raw)
        if len(content) != member.size and not member.encrypted:
            issues.append(ScanIssue(IssueKind.ARCHIVE_ANOMALY,
                                    f"stored member holds {len(content)} bytes but declares "
                                    f"{member.size}", where, member.data_offset))
    elif member.method == DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(raw, min(limits.max_member_bytes, budget[0]) + 1)
        except zlib.error as exc:
            issues.append(ScanIssue(IssueKind.PARSE_ERROR, f"deflate stream is corrupt: {exc}",
                                    where, member.data_offset))
            return Extracted(None, tuple(issues))
        if len(content) > min(limits.max_member_bytes, budget[0]):
            issues.append(ScanIssue(IssueKind.LIMIT_EXCEEDED,
                                    "member inflates past the size limit", where,
                                    member.data_offset))
            return Extracted(None, tuple(issues))
        if raw and len(content) // max(1, len(raw)) > limits.max_ratio:
            issues.append(ScanIssue(IssueKind.LIMIT_EXCEEDED,
                                    f"compression ratio above {limits.max_ratio}:1 (zip bomb)",
                                    where, member.data_offset))
            return Extracted(None, tuple(issues))
        if len(content) != member.size:
            issues.append(ScanIssue(IssueKind.ARCHIVE_ANOMALY,
                                    f"member inflates to {len(content)} bytes but declares "
                                    f"{member.size}", where, member.data_offset))
    else:
        issues.append(ScanIssue(IssueKind.UNSUPPORTED_FORMAT,
                                f"compression method {member.method} is not inspected",
                                where, member.header_offset))
        return Extracted(None, tuple(issues))
    budget[0] -= len(content)
    if not member.encrypted and zlib.crc32(content) != member.crc:
        issues.append(ScanIssue(IssueKind.ARCHIVE_ANOMALY,
                                f"CRC-32 0x{zlib.crc32(content):08x} does not match the declared "
                                f"0x{member.crc:08x} (CVE-2025-10156 class: some readers stop, "
                                "PyTorch loads)", where, member.data_offset))
    return Extracted(content, tuple(issues))
