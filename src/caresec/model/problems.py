"""Input problems: what a collector could not read, kept for the report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemSeverity(StrEnum):
    """How much of an input was lost: ``error`` (the file or record was skipped) or
    ``warning`` (read, with a value ignored or defaulted)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One problem with one input, named precisely enough to fix it.

    Attributes:
        file: path of the input as the user knows it (relative to the org folder when inside it).
        place: where in the file: ``line 12``, ``row 7, column ip``, a JSON pointer
            (``/components/3``), or ``""`` for the whole file.
        message: a sentence saying what is wrong.
        severity: :class:`ProblemSeverity`.
        collector: the collector that found it (``inventory``, ``sbom``, ``osv`` …).
    """

    file: str
    place: str
    message: str
    severity: ProblemSeverity = ProblemSeverity.ERROR
    collector: str = ""

    def __str__(self) -> str:
        where = f"{self.file} ({self.place})" if self.place else self.file
        return f"{where}: {self.message}"
