"""The public scanner corpus in ../shared/data/models (labels from the upstream test suites,
LABELS.csv; bypass classes from its PROVENANCE.md). Files are only read as bytes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from caresec.analyze.modelscan import ScanPolicy, scan_model_bytes
from caresec.model.ai_model import IssueKind, ModelFormat, ScanVerdict

pytestmark = pytest.mark.realdata


def _verdict(shared_data: Path, path: str, **policy: object) -> ScanVerdict:
    data = (shared_data / "models" / path).read_bytes()
    return scan_model_bytes(data, name=path, policy=ScanPolicy(**policy))  # type: ignore[arg-type]


def test_every_malicious_file_is_blocked_and_benign_decided(shared_data: Path) -> None:
    rows = list(csv.DictReader((shared_data / "models" / "LABELS.csv").open(encoding="utf-8")))
    assert len(rows) == 48
    for row in rows:
        verdict = _verdict(shared_data, row["path"])
        assert verdict.sha256 == row["sha256"]
        label = row["label_from_upstream_tests"]
        if label == "malicious":
            assert verdict.blocked, row["path"]
        elif row["path"].endswith("benign_password_protected.zip"):
            # Fail closed: 15 encrypted bytes cannot be inspected (docs/model-scanning.md).
            assert [i.kind for i in verdict.issues] == [IssueKind.ENCRYPTED]
        elif label == "benign":
            assert not verdict.blocked, (row["path"], verdict.issues)
        else:  # not-a-pickle/broken
            assert verdict.blocked and verdict.format is ModelFormat.UNKNOWN


@pytest.mark.parametrize("path, kind, needle, offset", [
    # PROVENANCE: memo/PUT confusion; the real call is os.system (naive parsers: LongStorage).
    ("picklescan/data/malicious11.pkl", IssueKind.DANGEROUS_GLOBAL, "os.system", 54),
    # two concatenated pickles; the second (offset 28) calls requests.api.get
    ("picklescan/data/malicious6.pkl", IssueKind.DANGEROUS_GLOBAL, "requests.api.get", 60),
    # memo confusion + trailing invalid bytes after STOP at offset 73
    ("picklescan/data/malicious-invalid-bytes.pkl", IssueKind.TRAILING_DATA, "not a pickle", 73),
    # builtins.exec imported before the truncated BINUNICODE at offset 16
    ("picklescan/data/broken_model.pkl", IssueKind.PARSE_ERROR, "543558206 bytes", 16),
    ("picklescan/data/malicious1_central_directory.zip", IssueKind.ARCHIVE_ANOMALY,
     "CVE-2025-1944", 0),
    ("picklescan/data/malicious1_0x20.zip", IssueKind.ARCHIVE_ANOMALY, "0x0020", 0),
    ("picklescan/data/malicious1_0x40.zip", IssueKind.ARCHIVE_ANOMALY, "0x0040", 0),
    ("picklescan/data/malicious1_0x1.zip", IssueKind.ENCRYPTED, "encrypted", 0),
    ("picklescan/data/malicious1_wrong_ext.zip", IssueKind.DANGEROUS_GLOBAL, "builtins.eval", 29),
    ("picklescan/data/malicious16.pkl", IssueKind.DANGEROUS_GLOBAL, "pip.main", 0),
    ("picklescan/data/pytorch_magic_bypass.pt", IssueKind.DANGEROUS_GLOBAL, "builtins.eval", 2),
    ("picklescan/data/sys_module_override_sploit.pkl", IssueKind.UNRESOLVED_GLOBAL,
     "not a string constant", 98),
    ("picklescan/data/malicious1.7z", IssueKind.UNSUPPORTED_FORMAT, "7z", 0),
    ("modelscan/unsafe_zip_pytorch.pt", IssueKind.DANGEROUS_GLOBAL, "posix.system", 2),
])
def test_bypass_classes_are_named(shared_data: Path, path: str, kind: IssueKind, needle: str,
                                  offset: int) -> None:
    verdict = _verdict(shared_data, path)
    assert any(i.kind is kind and needle in i.message and i.offset == offset
               for i in verdict.issues), verdict.issues


def test_benign_pytorch_formats(shared_data: Path) -> None:
    legacy = _verdict(shared_data, "picklescan/data/pytorch_model.bin")
    assert legacy.format is ModelFormat.PYTORCH_LEGACY and not legacy.blocked
    assert legacy.globals_seen == ("collections.OrderedDict", "torch.FloatStorage",
                                   "torch._utils._rebuild_tensor_v2")
    archive = _verdict(shared_data, "picklescan/data/new_pytorch_model.bin")
    assert archive.format is ModelFormat.PYTORCH_ZIP and not archive.blocked
    assert archive.parts == ("", "archive/data.pkl", "archive/data/0", "archive/version")


def test_truncated_legacy_checkpoint_names_offset(shared_data: Path) -> None:
    data = (shared_data / "models/picklescan/data/pytorch_model.bin").read_bytes()
    verdict = scan_model_bytes(data[:200_000], name="cut.bin")
    [issue] = verdict.issues
    assert issue.kind is IssueKind.PARSE_ERROR and "past the end" in issue.message
    assert issue.offset is not None and issue.offset < 200_000


def test_scanner_versions_are_recorded(shared_data: Path) -> None:
    verdict = _verdict(shared_data, "picklescan/data/malicious0.pkl")
    versions = {s.name: s.version for s in verdict.scanners}
    assert versions["picklescan"] and versions["fickling"] and versions["caresec"]
    assert "modelscan" in versions
