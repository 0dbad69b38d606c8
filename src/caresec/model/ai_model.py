"""AI model records: model files, what the static scan concluded, and the model inventory.

A model file is admitted only when every part of it was understood and found safe (fail closed):
:class:`ScanVerdict` says ``pass`` or ``block`` and always carries the reasons and the versions of
every scanner that took part.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ModelFormat(StrEnum):
    """Serialization format of a model file, as recognized from its content (never its name).

    ``pickle`` (CPython pickle protocols 0–5), ``pytorch-zip`` (``torch.save`` since 1.6: a ZIP
    with ``<prefix>/data.pkl``), ``pytorch-legacy`` (``torch.save`` before 1.6: five pickles then
    raw storages), ``joblib`` (pickle with inline NumPy arrays), ``numpy`` (``.npy``), ``npz``
    (ZIP of ``.npy``), ``keras`` (Keras v3 ``.keras`` ZIP), ``keras-h5`` (HDF5 with
    ``model_config``), ``hdf5`` (HDF5 without a Keras config), ``onnx``, ``safetensors``,
    ``gguf``, ``zip`` (another ZIP archive, inspected member by member), ``compressed`` (gzip,
    bzip2, xz, lzma or zlib around another format), ``text`` (UTF-8 text inside an archive),
    ``unknown``.
    """

    PICKLE = "pickle"
    PYTORCH_ZIP = "pytorch-zip"
    PYTORCH_LEGACY = "pytorch-legacy"
    JOBLIB = "joblib"
    NUMPY = "numpy"
    NPZ = "npz"
    KERAS = "keras"
    KERAS_H5 = "keras-h5"
    HDF5 = "hdf5"
    ONNX = "onnx"
    SAFETENSORS = "safetensors"
    GGUF = "gguf"
    ZIP = "zip"
    COMPRESSED = "compressed"
    TEXT = "text"
    UNKNOWN = "unknown"


class ScanOutcome(StrEnum):
    """``pass`` (every part understood, nothing unsafe, every scanner agreed) or ``block``."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    BLOCK = "block"


class IssueKind(StrEnum):
    """Why a scan blocked a file. Every kind blocks; none is informational.

    ``dangerous-global``: a pickle imports a callable known to run code or touch the system.
    ``unlisted-global``: a pickle imports a callable not on the allow-list of the framework.
    ``unresolved-global``: a pickle computes the module or name it imports (memo/stack tricks).
    ``unsafe-operation``: a pickle calls a computed callable, mutates an imported object, uses
    the extension registry, out-of-band buffers or persistent ids the framework does not define.
    ``parse-error``: the bytes do not parse (truncated, unknown opcode, bad header).
    ``trailing-data``: bytes after the end of the last structure that nothing explains.
    ``unsupported-format``: the format (or a variant of it) is not one caresec can inspect.
    ``archive-anomaly``: ZIP container tricks (flag bits, header mismatch, bad CRC, overlaps).
    ``encrypted``: an encrypted archive member cannot be inspected.
    ``limit-exceeded``: a size, depth, count or ratio limit was reached.
    ``executable-layer``: Keras Lambda layers, custom objects or modules outside the allow-list.
    ``custom-operator``: ONNX operators outside the standard domains.
    ``external-data``: ONNX external data whose path escapes the model folder.
    ``header-inconsistent``: a header disagrees with the data (safetensors offsets, GGUF
    tensor bounds, NumPy shape vs. size, PyTorch storage sizes).
    ``template-code``: a GGUF chat template reaches Python internals.
    ``scanner-disagreement``: a public scanner flagged or failed on a part caresec passed.
    ``scanner-unavailable``: a scanner required by the policy is not installed.
    """

    DANGEROUS_GLOBAL = "dangerous-global"
    UNLISTED_GLOBAL = "unlisted-global"
    UNRESOLVED_GLOBAL = "unresolved-global"
    UNSAFE_OPERATION = "unsafe-operation"
    PARSE_ERROR = "parse-error"
    TRAILING_DATA = "trailing-data"
    UNSUPPORTED_FORMAT = "unsupported-format"
    ARCHIVE_ANOMALY = "archive-anomaly"
    ENCRYPTED = "encrypted"
    LIMIT_EXCEEDED = "limit-exceeded"
    EXECUTABLE_LAYER = "executable-layer"
    CUSTOM_OPERATOR = "custom-operator"
    EXTERNAL_DATA = "external-data"
    HEADER_INCONSISTENT = "header-inconsistent"
    TEMPLATE_CODE = "template-code"
    SCANNER_DISAGREEMENT = "scanner-disagreement"
    SCANNER_UNAVAILABLE = "scanner-unavailable"


@dataclass(frozen=True, slots=True)
class ScanIssue:
    """One reason to block.

    Attributes:
        kind: :class:`IssueKind`.
        message: a sentence naming what was found.
        member: the part of the file (``archive/data.pkl``, ``pickle #2``, ``config.json``,
            ``model.weights.h5``); ``""`` for the file itself. Nested parts are joined with ``!``.
        offset: byte offset within that part where the problem starts, when one applies.
    """

    kind: IssueKind
    message: str
    member: str = ""
    offset: int | None = None

    def where(self) -> str:
        """``member @ offset N`` (either part omitted when absent)."""
        parts = []
        if self.member:
            parts.append(self.member)
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        return " @ ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{self.kind}: {self.message}" + (f" ({where})" if where else "")


class ScannerStatus(StrEnum):
    """What one scanner said about a file.

    ``clean`` (ran on every part it applies to, flagged nothing), ``flagged``, ``error`` (failed
    to parse or crashed), ``not-applicable`` (no part of the file is in a format it reads),
    ``not-installed``.
    """

    CLEAN = "clean"
    FLAGGED = "flagged"
    ERROR = "error"
    NOT_APPLICABLE = "not-applicable"
    NOT_INSTALLED = "not-installed"


@dataclass(frozen=True, slots=True)
class ScannerRun:
    """One scanner's participation in a scan.

    Attributes:
        name: ``caresec``, ``picklescan``, ``fickling`` or ``modelscan``.
        version: the scanner's version string; ``""`` when not installed.
        status: :class:`ScannerStatus`.
        detail: what it reported, shortened (globals flagged, error message).
    """

    name: str
    version: str
    status: ScannerStatus
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ScanVerdict:
    """The result of scanning one model file.

    Attributes:
        path: the file as the user named it.
        size: bytes.
        sha256: hex digest of the whole file.
        format: :class:`ModelFormat` recognized from the content.
        framework: allow-list applied to pickles (``pytorch``, ``numpy``, ``sklearn`` …).
        outcome: :class:`ScanOutcome`; ``pass`` only when :attr:`issues` is empty.
        issues: every reason to block, in file order.
        scanners: every scanner consulted, with version and status.
        globals_seen: every ``module.name`` a pickle in the file imports, sorted.
        parts: every part inspected (``""`` is the file itself).
    """

    path: str
    size: int
    sha256: str
    format: ModelFormat
    framework: str
    outcome: ScanOutcome
    issues: tuple[ScanIssue, ...] = ()
    scanners: tuple[ScannerRun, ...] = ()
    globals_seen: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when the file must not be admitted."""
        return self.outcome is ScanOutcome.BLOCK

    @property
    def reason(self) -> str:
        """The first issue as a sentence, or ``""`` when the file passed."""
        return str(self.issues[0]) if self.issues else ""


class ProvenanceKind(StrEnum):
    """Where a model file came from: ``vendor-portal``, ``hub`` (a model hub revision),
    ``email``, ``internal`` (trained in house), ``other``."""

    VENDOR_PORTAL = "vendor-portal"
    HUB = "hub"
    EMAIL = "email"
    INTERNAL = "internal"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ModelFileRef:
    """One file of an inventoried model.

    Attributes:
        path: path relative to the organization's ``models/`` folder.
        expected_sha256: the SHA-256 the vendor published (lower-case hex), ``""`` if none.
        signature: path (relative to ``models/``) of a vendor signature or signed manifest, as
            recorded; caresec records it but does not verify signatures.
    """

    path: str
    expected_sha256: str = ""
    signature: str = ""


@dataclass(frozen=True, slots=True)
class ModelInventoryEntry:
    """One clinical AI model in ``models/inventory.csv``.

    Attributes:
        model_id: the organization's identifier, unique in the inventory.
        name, version, owner, vendor: as recorded.
        intended_use: the intended clinical use (``sepsis early warning``).
        fda_status: regulatory status as recorded (``510(k) K123456``, ``not a device``).
        provenance: :class:`ProvenanceKind`.
        provenance_ref: portal URL, hub ``repo@revision``, message id …
        files: the model's files.
        framework: allow-list to apply to pickles (``pytorch``, ``sklearn`` …); ``""`` = by format.
        training_data_phi: whether the training data held PHI (None when unknown).
        asset_id: the inventory asset that runs the model, when recorded.
        source: ``file:row`` the entry was read from.
    """

    model_id: str
    name: str
    files: tuple[ModelFileRef, ...]
    version: str = ""
    owner: str = ""
    vendor: str = ""
    intended_use: str = ""
    fda_status: str = ""
    provenance: ProvenanceKind = ProvenanceKind.OTHER
    provenance_ref: str = ""
    framework: str = ""
    training_data_phi: bool | None = None
    asset_id: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class ModelFileCheck:
    """What the audit found for one inventoried file.

    Attributes:
        ref: the inventory's reference to the file.
        present: whether the file exists in the organization folder.
        sha256: the digest computed now (``""`` when absent).
        hash_matches: True/False when an expected hash was recorded, None otherwise.
        verdict: the scan verdict (None when the file is absent and so unscanned).
    """

    ref: ModelFileRef
    present: bool
    sha256: str = ""
    hash_matches: bool | None = None
    verdict: ScanVerdict | None = None


@dataclass(frozen=True, slots=True)
class ModelInventoryResult:
    """One inventory entry with the checks of its files (the "last scan result")."""

    entry: ModelInventoryEntry
    files: tuple[ModelFileCheck, ...]

    @property
    def blocked(self) -> bool:
        """True when any file is blocked, absent (unscanned) or fails its expected hash."""
        return any(
            check.verdict is None or check.verdict.blocked or check.hash_matches is False
            for check in self.files
        )
