"""The scanner never executes, imports or unpickles anything from a file.

Each payload writes a canary file when loaded. A liveness control first proves, in a child
process, that the payload really runs when unpickled (so the test can fail); then the full
scanner (public scanners included) and the CLI scan it with every unpickling entry point of the
process replaced by a tripwire, and the canary must not exist afterwards. The module named by an
import in the file must not have been imported either.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from caresec.cli.models import app
from caresec.model.ai_model import ScanVerdict


class _Payload:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (self.code,))


def _payloads(canary: Path, build: SimpleNamespace) -> dict[str, bytes]:
    code = build.canary_code(canary)
    files = {f"proto{p}.pkl": build.exec_pickle(code, p) for p in range(6)}
    files["reduce.pkl"] = pickle.dumps({"weights": [0.1, 0.2], "hook": _Payload(code)})
    files["memo-trick.pkl"] = (
        b"Vbuiltins\np2\n0Vexec\np3\n0Vtorch\np0\n0VLongStorage\np1\n0g2\ng3\n\x93(V"
        + code.encode("raw_unicode_escape") + b"\ntR.")
    files["concatenated.pkl"] = pickle.dumps([1, 2, 3]) + build.exec_pickle(code, 4)
    files["model.pt"] = build.zip_bytes({"archive/data.pkl": build.exec_pickle(code, 2),
                                         "archive/version": b"3\n"})
    files["renamed.txt"] = build.zip_bytes({"data.txt": build.exec_pickle(code, 4)})
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(code)], dtype=object), allow_pickle=True)
    files["object.npy"] = buffer.getvalue()
    return files


def test_payload_is_live_when_unpickled(tmp_path: Path, build: SimpleNamespace) -> None:
    canary = tmp_path / "control"
    data = build.exec_pickle(build.canary_code(canary), 4)
    loader = "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"
    subprocess.run([sys.executable, "-c", loader], input=data, check=True, timeout=60)
    assert canary.read_text() == "payload ran"


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> None:
    def tripped(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scanner tried to load model content")

    for target, name in [(pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"),
                         (pickle, "_Unpickler"), (pickle, "_load"), (pickle, "_loads"),
                         (np, "load")]:
        # (marshal.loads is not wired: the import system uses it for .pyc files.)
        monkeypatch.setattr(target, name, tripped)


def test_scanning_never_runs_a_payload(tmp_path: Path, build: SimpleNamespace,
                                       scan: Callable[..., ScanVerdict],
                                       tripwires: None) -> None:
    canary = tmp_path / "canary"
    for name, data in _payloads(canary, build).items():
        verdict = scan(data, name=name)
        assert verdict.blocked, name
        assert any(s.name == "picklescan" and s.version for s in verdict.scanners)
    assert not canary.exists()


def test_cli_scan_never_runs_a_payload(tmp_path: Path, build: SimpleNamespace,
                                       tripwires: None) -> None:
    canary = tmp_path / "canary"
    folder = tmp_path / "models"
    folder.mkdir()
    for name, data in _payloads(canary, build).items():
        (folder / name).write_bytes(data)
    result = CliRunner().invoke(app, ["scan", str(folder)])
    assert result.exit_code == 1, result.output
    assert result.output.count("BLOCK") == len(list(folder.iterdir()))
    assert not canary.exists()


def test_imported_module_named_by_a_file_is_never_imported(
        scan: Callable[..., ScanVerdict]) -> None:
    # `this` prints the Zen of Python on import; a file naming it must not import it.
    assert "this" not in sys.modules
    verdict = scan(b"\x80\x02cthis\ns\n.")
    assert verdict.blocked and "this.s" in verdict.globals_seen
    assert "this" not in sys.modules
