"""ZIP container tricks (PKWARE APPNOTE 6.3.10 structures) and the 2025 picklescan CVE classes:
CVE-2025-1944 (local vs central name), CVE-2025-1945 (flag bits), CVE-2025-10156 (bad CRC),
CVE-2025-1889 (pickle under a non-pickle name)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from caresec.analyze.modelscan.archive import extract, list_zip
from caresec.analyze.modelscan.limits import ScanLimits
from caresec.model.ai_model import IssueKind, ModelFormat, ScanVerdict


@dataclass
class Entry:
    name: str
    data: bytes
    flags: int = 0
    local_name: str | None = None
    crc: int | None = None
    central_flags: int | None = None


def raw_zip(entries: list[Entry], *, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    """A stored-method ZIP written field by field (APPNOTE §4.3.7, §4.3.12, §4.3.16)."""
    body = bytearray(prefix)
    central = bytearray()
    for e in entries:
        offset = len(body)
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        local_name = (e.local_name if e.local_name is not None else e.name).encode()
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, e.flags, 0, 0, 0, crc,
                            len(e.data), len(e.data), len(local_name), 0) + local_name + e.data
        name = e.name.encode()
        flags = e.flags if e.central_flags is None else e.central_flags
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, 0, 0, 0,
                               crc, len(e.data), len(e.data), len(name), 0, 0, 0, 0, 0,
                               offset) + name
    cd_offset = len(body)
    body += central
    body += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                        len(central), cd_offset, 0)
    return bytes(body + suffix)


PAYLOAD = b"\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R."


def issue_kinds(data: bytes) -> list[IssueKind]:
    return [i.kind for i in list_zip(data, part="", limits=ScanLimits()).issues]


def test_well_formed_archive_has_no_issue(build: SimpleNamespace) -> None:
    for stored in (True, False):
        data = build.zip_bytes({"a.txt": b"hello", "dir/b.bin": b"\x00" * 100}, stored=stored)
        listing = list_zip(data, part="", limits=ScanLimits())
        assert listing.issues == [] and [m.name for m in listing.members] == ["a.txt",
                                                                              "dir/b.bin"]
        assert all(extract(data, m, part="", limits=ScanLimits(), budget=[10**6]).issues == ()
                   for m in listing.members)


@pytest.mark.parametrize("entries, kwargs, needle", [
    ([Entry("data.pkl", PAYLOAD, local_name="datap.kl")], {}, "local header names"),
    ([Entry("data.pkl", PAYLOAD, flags=0x20)], {}, "flag bits 0x0020"),
    ([Entry("data.pkl", PAYLOAD, flags=0x40)], {}, "flag bits 0x0040"),
    ([Entry("data.pkl", PAYLOAD, central_flags=0x800)], {}, "differ from central"),
    ([Entry("a", b"1"), Entry("a", b"2")], {}, "duplicate member name"),
    ([Entry("../../etc/x.pkl", PAYLOAD)], {}, "escapes the archive"),
    ([Entry("/abs.pkl", PAYLOAD)], {}, "escapes the archive"),
    ([Entry("data.pkl", PAYLOAD)], {"suffix": b"hidden pickle"}, "after the end"),
])
def test_container_tricks_are_anomalies(entries: list[Entry], kwargs: dict[str, bytes],
                                        needle: str) -> None:
    listing = list_zip(raw_zip(entries, **kwargs), part="", limits=ScanLimits())
    assert any(needle in i.message for i in listing.issues), listing.issues


def test_bad_crc_is_reported_and_content_still_read() -> None:
    data = raw_zip([Entry("data.pkl", PAYLOAD, crc=0x12345678)])
    [member] = list_zip(data, part="", limits=ScanLimits()).members
    got = extract(data, member, part="", limits=ScanLimits(), budget=[10**6])
    assert got.content == PAYLOAD
    assert [i.kind for i in got.issues] == [IssueKind.ARCHIVE_ANOMALY]
    assert "CRC-32" in got.issues[0].message


def test_prepended_data_breaks_offsets() -> None:
    kinds = issue_kinds(raw_zip([Entry("data.pkl", PAYLOAD)], prefix=b"MZ" + b"\x00" * 30))
    assert IssueKind.ARCHIVE_ANOMALY in kinds


def test_unreadable_archive_is_a_parse_error_with_offset() -> None:
    data = raw_zip([Entry("a", b"1")])[:-10]
    listing = list_zip(data, part="", limits=ScanLimits())
    assert not listing.readable
    assert listing.issues[0].kind is IssueKind.PARSE_ERROR


def test_member_limit() -> None:
    data = raw_zip([Entry(f"m{i}", b"") for i in range(5)])
    listing = list_zip(data, part="", limits=ScanLimits(max_members=3))
    assert not listing.readable and "limit 3" in listing.issues[0].message


def test_zip_bomb_ratio(build: SimpleNamespace) -> None:
    data = build.zip_bytes({"bomb.bin": b"\x00" * 5_000_000}, stored=False)
    [member] = list_zip(data, part="", limits=ScanLimits()).members
    got = extract(data, member, part="", limits=ScanLimits(), budget=[10**9])
    assert got.content is None and got.issues[0].kind is IssueKind.LIMIT_EXCEEDED


def test_encrypted_flag_on_plaintext_is_blocked_and_inspected(
        scan: Callable[..., ScanVerdict]) -> None:
    # PyTorch ignores the flag and loads the member (malicious1_0x1.zip class).
    verdict = scan(raw_zip([Entry("model/config.pkl", PAYLOAD, flags=0x1)]))
    kinds = {i.kind for i in verdict.issues}
    assert {IssueKind.ENCRYPTED, IssueKind.DANGEROUS_GLOBAL} <= kinds


def test_encrypted_member_with_empty_plaintext_passes(scan: Callable[..., ScanVerdict]) -> None:
    # Stored + ZipCrypto: the payload is the 12-byte encryption header plus the ciphertext,
    # which is as long as the plaintext (APPNOTE §6.1.3). 12 bytes, CRC 0, size 0: empty.
    header = bytes(range(12))
    data = bytearray(raw_zip([Entry("test.txt", header, flags=0x1, crc=0)]))
    # set uncompressed size 0 in local (offset 22) and central headers
    struct.pack_into("<I", data, 22, 0)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0)
    verdict = scan(bytes(data), name="password_protected.zip")
    assert not verdict.blocked, verdict.issues
    assert verdict.format is ModelFormat.ZIP


def test_encrypted_member_with_content_blocks(scan: Callable[..., ScanVerdict]) -> None:
    verdict = scan(raw_zip([Entry("test.txt", bytes(range(27)), flags=0x1)]))
    assert [i.kind for i in verdict.issues] == [IssueKind.ENCRYPTED]


def test_pickle_under_a_text_name_is_found(scan: Callable[..., ScanVerdict]) -> None:
    verdict = scan(raw_zip([Entry("data.txt", PAYLOAD)]))
    assert verdict.blocked and "builtins.eval" in verdict.globals_seen


def test_text_members_of_a_generic_archive_pass(scan: Callable[..., ScanVerdict],
                                                build: SimpleNamespace) -> None:
    verdict = scan(build.zip_bytes({"README.md": b"# model", "LICENSE": b"MIT"}))
    assert not verdict.blocked, verdict.issues


def test_source_code_member_blocks(scan: Callable[..., ScanVerdict],
                                   build: SimpleNamespace) -> None:
    verdict = scan(build.zip_bytes({"modeling_custom.py": b"import os\n"}))
    assert verdict.blocked
    assert verdict.issues[0].member == "modeling_custom.py"


def test_nested_archive_depth_limit(scan: Callable[..., ScanVerdict],
                                    build: SimpleNamespace) -> None:
    data = PAYLOAD
    for level in range(6):
        data = build.zip_bytes({f"level{level}.zip": data})
    verdict = scan(data)
    assert IssueKind.LIMIT_EXCEEDED in {i.kind for i in verdict.issues}
