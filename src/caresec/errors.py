"""One error hierarchy for caresec.

Every error carries a message a person can act on (what went wrong, where, what to do).
Third-party exceptions are wrapped at the boundary with ``raise ... from``. The CLI turns a
:class:`CaresecError` into a sentence on stderr and exit code 2; it never prints a traceback.
"""

from __future__ import annotations


class CaresecError(Exception):
    """Base class for every error caresec raises on purpose.

    Args:
        message: one or two sentences naming the file/place and the problem.
        hint: optional advice on how to fix it, shown after the message.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(CaresecError):
    """The organization folder or ``caresec.toml`` is missing or invalid."""


class InputError(CaresecError):
    """An input file cannot be read or parsed (SBOM, inventory, advisory, log).

    Attributes:
        path: the file, as given by the user.
        place: where in the file (``line 12``, ``/components/3/purl``, ``row 7 column ip``).
    """

    def __init__(
        self, path: str, place: str, message: str, *, hint: str | None = None
    ) -> None:
        where = f"{path} ({place})" if place else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.place = place
        self.detail = message


class FeedError(CaresecError):
    """An advisory feed (OSV, KEV, EPSS) cannot be imported or downloaded."""


class CatalogError(CaresecError):
    """A shipped catalog data file failed validation (a packaging bug, not user error)."""


class StoreError(CaresecError):
    """The organization's embedded store under ``.caresec/`` cannot be opened or migrated."""


class ReportError(CaresecError):
    """A report could not be rendered or failed its schema validation."""
