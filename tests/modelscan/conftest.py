"""Builders for model-scanning tests.

Every malicious fixture is generated here at test time; its payload only writes a canary file
under the test's temporary folder. Nothing in these tests ever loads a model file except the
explicit liveness controls in test_canary.py, which run a payload in a child process to prove it
works.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from caresec.analyze.modelscan import ScanPolicy, scan_model_bytes
from caresec.model.ai_model import IssueKind, ScanVerdict


def binunicode(text: str) -> bytes:
    """A ``BINUNICODE`` opcode (pickle protocol 1+)."""
    raw = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw


def exec_pickle(code: str, protocol: int = 2) -> bytes:
    """A pickle that calls ``builtins.exec(code)`` when loaded (written opcode by opcode)."""
    if protocol == 0:
        return b"c__builtin__\nexec\n(V" + code.encode("raw_unicode_escape") + b"\ntR."
    if protocol < 4:
        module = b"__builtin__" if protocol < 3 else b"builtins"
        head = b"\x80" + bytes([protocol]) if protocol >= 2 else b""
        return head + b"c" + module + b"\nexec\n" + binunicode(code) + b"\x85R."
    return (b"\x80" + bytes([protocol]) + b"\x8c\x08builtins\x94\x8c\x04exec\x94\x93"
            + binunicode(code) + b"\x85R.")


def canary_code(canary: Path) -> str:
    """Python that writes ``canary`` (the only effect of every payload in these tests)."""
    return f"open({str(canary)!r}, 'w').write('payload ran')"


def zip_bytes(members: dict[str, bytes], *, stored: bool = True) -> bytes:
    """A ZIP made by :mod:`zipfile` (APPNOTE-conformant) with the given members."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def kinds(verdict: ScanVerdict) -> set[IssueKind]:
    """The issue kinds of a verdict."""
    return {issue.kind for issue in verdict.issues}


@pytest.fixture
def scan() -> Callable[..., ScanVerdict]:
    """``scan(data, name='x', **policy)`` → verdict of the full scanner (public scanners on)."""

    def run(data: bytes, name: str = "model.bin", **policy: object) -> ScanVerdict:
        return scan_model_bytes(data, name=name, policy=ScanPolicy(**policy))  # type: ignore[arg-type]

    return run


@pytest.fixture
def build() -> SimpleNamespace:
    """The builders above, for test modules (conftest functions are not importable under
    ``--import-mode=importlib``)."""
    return SimpleNamespace(binunicode=binunicode, exec_pickle=exec_pickle,
                           canary_code=canary_code, zip_bytes=zip_bytes, kinds=kinds)
