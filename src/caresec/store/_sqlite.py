"""What the organization's SQLite stores share: opening with a clear error, and closing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from caresec.errors import StoreError


def open_database(
    path: Path, prepare: Callable[[sqlite3.Connection, Path], None], *, what: str, hint: str
) -> sqlite3.Connection:
    """Open (creating when absent, parent folders too) the SQLite database at ``path`` and run
    ``prepare`` on it (schema creation and version check).

    Args:
        path: the database file.
        prepare: creates or checks the schema; may raise :class:`StoreError`.
        what: what the store is, for messages ("feed store", "run history").
        hint: what the user can do when the file is not a usable database.

    Raises:
        StoreError: the file cannot be opened, is not a usable SQLite database, or ``prepare``
            refused it; the connection is closed first.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=60)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{path}: cannot open the {what}: {exc}") from exc
    try:
        prepare(connection, path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise StoreError(f"{path}: not a usable {what}: {exc}", hint=hint) from exc
    except StoreError:
        connection.close()
        raise
    return connection


class SqliteStore:
    """Base of a store holding one connection; a context manager that closes it."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
