"""Timestamps of audit logs → UTC instants.

Accepted: ISO 8601 / RFC 3339 date-times with a zone (``Z``, ``+02:00``, ``+0200``) or
without one (then read in the given IANA time zone: the earlier instant where a wall-clock time
occurs twice at a DST change, the first instant after the change where it does not occur), with
``T`` or a space, optional fractions of a second, or a plain date (midnight). A ``time_format``
(Python ``strptime`` directives) overrides the ISO reading. Vectorized with Apache Arrow; only a
chunk that fails is re-read value by value to name the bad rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.compute as pc

from caresec.access.schema import TIMESTAMP
from caresec.errors import CaresecError

_ZONED = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``.

    Raises:
        CaresecError: the name is not a known IANA time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CaresecError(f"unknown time zone {name!r}",
                           hint="Use an IANA name such as America/New_York or UTC.") from exc


def parse_instant(text: str, tz: str, time_format: str = "") -> datetime | None:
    """One timestamp → an aware UTC datetime, or None when it cannot be read.

    Args:
        text: the value as logged.
        tz: IANA zone for values without an offset.
        time_format: optional ``strptime`` format.
    """
    value = text.strip()
    if not value:
        return None
    try:
        if time_format:
            parsed = datetime.strptime(value, time_format)
        else:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    local = pc.assume_timezone(pa.array([parsed], type=pa.timestamp("us")), zone(tz).key,
                               ambiguous="earliest", nonexistent="latest")
    instant = local[0].as_py()
    return instant.astimezone(UTC) if isinstance(instant, datetime) else None


def parse_instants(values: pa.Array, tz: str, time_format: str = "") -> tuple[pa.Array, list[int]]:
    """A string array → UTC timestamps (``timestamp[us, UTC]``) and the indices that failed.

    Null or empty values fail too. The result has nulls at the failed indices.

    Raises:
        CaresecError: ``tz`` is not a known time zone.
    """
    zone(tz)
    strings = pc.utf8_trim_whitespace(values.cast(pa.string()))
    try:
        result = _vectorized(strings, tz, time_format)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        result = None
    if result is not None and result.null_count == 0:
        return result, []
    parsed = [parse_instant(v, tz, time_format) if v is not None else None
              for v in strings.to_pylist()]
    bad = [i for i, p in enumerate(parsed) if p is None]
    return pa.array(parsed, type=TIMESTAMP), bad


def _vectorized(strings: pa.Array, tz: str, time_format: str) -> pa.Array:
    if time_format:
        if "%z" in time_format:
            return pc.strptime(strings, format=time_format, unit="us").cast(TIMESTAMP)
        naive = pc.strptime(strings, format=time_format, unit="us")
        return pc.assume_timezone(naive, tz, ambiguous="earliest", nonexistent="latest")
    zoned = pc.match_substring_regex(strings, _ZONED)
    if pc.all(zoned).as_py():
        return pc.cast(strings, TIMESTAMP)
    if not pc.any(zoned).as_py():
        naive = pc.cast(strings, pa.timestamp("us"))
        return pc.assume_timezone(naive, tz, ambiguous="earliest", nonexistent="latest")
    out: list[datetime | None] = []
    for value, has_zone in zip(strings.to_pylist(), zoned.to_pylist(), strict=True):
        out.append(parse_instant(value, tz) if value is not None and has_zone is not None
                   else None)
    return pa.array(out, type=TIMESTAMP)
