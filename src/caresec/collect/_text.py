"""Small helpers shared by the collectors: decoding input text and naming files for people."""

from __future__ import annotations

import codecs
from pathlib import Path

from caresec.errors import InputError
from caresec.model import InputProblem, ProblemSeverity


def decode_utf8(data: bytes, *, display: str) -> str:
    """Decode an input file's bytes as UTF-8, accepting (and dropping) a UTF-8 byte-order mark.

    Args:
        data: the file's bytes.
        display: the file as shown to the user (used in the error).

    Returns:
        The text, without a leading BOM.

    Raises:
        InputError: the bytes are not UTF-8; ``place`` is ``byte N`` (0-based offset of the first
            byte that does not decode, :attr:`UnicodeDecodeError.start`).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            display,
            "byte 0",
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8",
            hint="Save it as UTF-8.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            display,
            f"byte {exc.start}",
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} does not decode: {exc.reason})",
            hint="Save the file as UTF-8.",
        ) from exc


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form when it lies inside ``root``, else as given."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def problem_from_error(
    exc: InputError, collector: str, severity: ProblemSeverity = ProblemSeverity.ERROR
) -> InputProblem:
    """The :class:`InputProblem` for an :class:`InputError` (its hint appended to the message)."""
    message = f"{exc.detail}. {exc.hint}" if exc.hint else exc.detail
    return InputProblem(file=exc.path, place=exc.place, message=message, severity=severity,
                        collector=collector)
