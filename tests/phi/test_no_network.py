"""A scan makes no network call: not even tldextract's public-suffix-list download."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from caresec.collect.phi import scan_sources
from caresec.model.phi import PhiType
from caresec.phi import PhiDetector


def test_scan_opens_no_socket(monkeypatch: pytest.MonkeyPatch, fixtures: Path,
                              tmp_path: Path) -> None:
    opened: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        opened.append(args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    shutil.copy(fixtures / "phi" / "note.planted.txt", tmp_path / "note.txt")
    text = "mail zquill@example.org or visit https://portal.example.org/u/zq"
    spans = PhiDetector().detect(text)  # a fresh detector: e-mail and URL checks run now
    inv = scan_sources([tmp_path], key=b"n" * 32, root=tmp_path, workers=1)
    assert {s.type for s in spans} == {PhiType.EMAIL, PhiType.URL}
    assert PhiType.EMAIL in dict(inv.locations[0].counts)
    assert opened == []
