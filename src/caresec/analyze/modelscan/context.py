"""Scan policy and the state shared by the format readers while one file is scanned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from caresec.analyze.modelscan.catalog import AllowList, ModelSecurity, model_security
from caresec.analyze.modelscan.limits import ScanLimits
from caresec.analyze.modelscan.pickle_vm import PersistentMode, PickleMachine, PickleResult
from caresec.errors import CaresecError
from caresec.model.ai_model import IssueKind, ModelFormat, ScanIssue

#: Public scanners the default policy requires (installed with caresec); see docs/model-scanning.md.
DEFAULT_REQUIRED = frozenset({"picklescan", "fickling"})


#: Public scanners a policy may require.
KNOWN_SCANNERS = frozenset({"picklescan", "fickling", "modelscan"})


def parse_global(value: str) -> tuple[str, str]:
    """Read one reviewed import written ``MODULE:NAME``
    (``sklearn.linear_model._logistic:LogisticRegression``).

    Returns:
        ``(module, name)``, both stripped.

    Raises:
        ValueError: not of that form (the message quotes the value).
    """
    module, sep, name = value.partition(":")
    if not (sep and module.strip() and name.strip()):
        raise ValueError(f"{value!r} is not MODULE:NAME")
    return module.strip(), name.strip()


@dataclass(frozen=True, slots=True)
class ScanPolicy:
    """How strict a scan is.

    Attributes:
        framework: declared framework whose allow-list judges pickles (``pytorch``, ``numpy``,
            ``joblib``, ``pickle``); ``""`` picks one from the format (PyTorch files →
            ``pytorch``, NumPy → ``numpy``, joblib → ``joblib``, other pickles → ``pickle``).
        extra_globals: ``(module, name)`` pairs a person reviewed and admits in addition.
        required_scanners: public scanners whose absence blocks (``picklescan``, ``fickling``,
            ``modelscan``).
        external: consult the public scanners at all (False only for measuring caresec alone).
        limits: :class:`ScanLimits`.
    """

    framework: str = ""
    extra_globals: frozenset[tuple[str, str]] = frozenset()
    required_scanners: frozenset[str] = DEFAULT_REQUIRED
    external: bool = True
    limits: ScanLimits = field(default_factory=ScanLimits)

    def validate(self) -> None:
        """Raise :class:`CaresecError` when the framework or a scanner name is unknown."""
        known = model_security().allow_lists
        if self.framework and self.framework not in known:
            raise CaresecError(f"unknown framework {self.framework!r}",
                               hint=f"Use one of: {', '.join(sorted(known))}.")
        unknown = self.required_scanners - KNOWN_SCANNERS
        if unknown:
            raise CaresecError(f"unknown scanner(s) {', '.join(sorted(unknown))}",
                               hint="Use picklescan, fickling or modelscan.")


@dataclass(frozen=True, slots=True)
class ScanUnit:
    """A part handed to the public scanners: pickle opcodes (``kind`` ``pickle``) or a Keras
    file (``keras``/``keras-h5``), with the part name and the allow-list framework applied."""

    part: str
    kind: str
    data: bytes


Inspector = Callable[["Context", bytes, str, int], ModelFormat]


@dataclass
class Context:
    """Mutable state of one file's scan (issues, parts, globals, units for public scanners).

    Format readers receive it, append issues through :meth:`issue` and walk pickles through
    :meth:`walk_pickles`, which judges every import against the allow-list.
    """

    policy: ScanPolicy
    inspect_part: Inspector
    catalog: ModelSecurity = field(default_factory=model_security)
    issues: list[ScanIssue] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    globals_seen: set[str] = field(default_factory=set)
    units: list[ScanUnit] = field(default_factory=list)
    frameworks_used: list[str] = field(default_factory=list)
    budget: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.budget:
            self.budget.append(self.policy.limits.max_total_bytes)

    @property
    def limits(self) -> ScanLimits:
        """The policy's limits."""
        return self.policy.limits

    def issue(self, kind: IssueKind, message: str, part: str, offset: int | None = None) -> None:
        """Record one reason to block."""
        self.issues.append(ScanIssue(kind, message, part, offset))

    def allow_list(self, default: str) -> AllowList:
        """The allow-list for pickles: the declared framework, else ``default``."""
        framework = self.policy.framework or default
        if framework not in self.frameworks_used:
            self.frameworks_used.append(framework)
        return self.catalog.allow_lists[framework].extended(self.policy.extra_globals)

    def walk_pickles(
        self,
        data: bytes,
        part: str,
        *,
        start: int = 0,
        default_framework: str = "pickle",
        persistent: PersistentMode | None = None,
        count: int | None = None,
    ) -> list[PickleResult]:
        """Walk consecutive pickles from ``start`` and judge them.

        Args:
            data: the part's bytes.
            part: part name.
            start: offset of the first pickle.
            default_framework: allow-list when none is declared.
            persistent: persistent-id mode; None uses the framework's.
            count: walk exactly this many pickles (PyTorch legacy); None walks until the data
                ends, so concatenated pickles are all seen.

        Returns:
            The results, in order; walking stops at the first incomplete pickle.
        """
        allow = self.allow_list(default_framework)
        mode: PersistentMode = persistent or ("torch" if allow.persistent == "torch" else "reject")
        results: list[PickleResult] = []
        pos = start
        while pos < len(data) and (count is None or len(results) < count):
            if len(results) >= self.limits.max_pickles:
                self.issue(IssueKind.LIMIT_EXCEEDED,
                           f"more than {self.limits.max_pickles} concatenated pickles", part, pos)
                break
            result = PickleMachine(data, pos, member=part, limits=self.limits,
                                   persistent=mode).run()
            if results and not result.complete and result.end <= pos + 1 and not result.globals:
                self.issue(IssueKind.TRAILING_DATA,
                           f"{len(data) - pos} bytes after the end of pickle #{len(results)} are "
                           "not a pickle", part, pos)
                break
            self.judge(result, allow, part, data)
            results.append(result)
            if not result.complete:
                break
            pos = result.end
        return results

    def judge(self, result: PickleResult, allow: AllowList, part: str, data: bytes) -> None:
        """Apply the allow-list to every import of ``result`` (and its nested pickles), keep its
        structural issues, and keep its opcode bytes for the public scanners when complete."""
        for ref in result.globals:
            self.globals_seen.add(ref.dotted)
            if allow.admits(ref.module, ref.name):
                continue
            if self.catalog.is_dangerous(ref.module, ref.name):
                self.issue(IssueKind.DANGEROUS_GLOBAL,
                           f"imports {ref.dotted}, which can run code or reach the system",
                           part, ref.offset)
            else:
                self.issue(IssueKind.UNLISTED_GLOBAL,
                           f"imports {ref.dotted}, which is not on the {allow.framework} "
                           "allow-list", part, ref.offset)
        self.issues.extend(result.issues)
        if result.complete:
            self.units.append(ScanUnit(part, "pickle", result.opcode_bytes(data)))
        for nested in result.nested:
            self.judge(nested, allow, part, data)
