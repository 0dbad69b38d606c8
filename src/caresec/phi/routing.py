"""Route text by schema: what is narrative (names may be in it) and what is not.

Dictionary and NER name detectors read every capitalized word as a candidate, so run over ids,
codes, GUIDs, base64 or log lines they report names everywhere (the false positives users most
often report against Presidio). caresec gives the narrative rules only text that reads as prose:
enough alphabetic words, not a log line, not a token soup of codes.
"""

from __future__ import annotations

import re

_WORDS = re.compile(r"[A-Za-z]{2,}")
_TOKENS = re.compile(r"\S+")
_ALPHA = re.compile(r"[A-Za-z]")
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\w{3} [ \d]\d \d{2}:\d{2}:\d{2}|"
    r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}|\S+ - - \[)"
    r"|\b(?:DEBUG|INFO|WARN|WARNING|ERROR|TRACE|FATAL)\b[:\]]",
)
_CODE_TOKEN = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9+/=_-]{20,}|"
    r"[A-Z0-9]+[-_.][A-Z0-9._-]+|0x[0-9a-f]+|[\w.-]+\.(?:py|js|java|cs|dll|exe|so|json|xml)"
    r"|[A-Za-z]+\d+[A-Za-z\d]*|\d+[A-Za-z]{2,}\d[A-Za-z\d]*)$",
    re.IGNORECASE,
)


def is_log_line(line: str) -> bool:
    """A line that starts with a timestamp (ISO 8601, syslog, Common Log Format) or carries a
    log level tag (``INFO:``, ``[ERROR]``)."""
    return _LOG_LINE.search(line) is not None


def is_narrative(text: str) -> bool:
    """True when ``text`` reads as prose (clinical shorthand included): two or more tokens, at
    least half of them with letters, no log-line shape, and fewer than a third of them codes,
    ids or GUIDs."""
    tokens = _TOKENS.findall(text)
    if len(tokens) < 2 or is_log_line(text):
        return False
    alpha = sum(1 for t in tokens if _ALPHA.search(t))
    if alpha < 2 and not _WORDS.search(text):
        return False
    codes = sum(1 for t in tokens if _CODE_TOKEN.match(t.strip(".,;:()[]\"'")))
    return codes * 3 < len(tokens) and alpha * 2 >= len(tokens)


def narrative_segments(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the runs of narrative lines in ``text`` (a line is judged
    on its own; consecutive narrative lines form one segment, blank lines do not break it)."""
    segments: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        line_end = pos + len(line)
        if not stripped:
            pass
        elif is_narrative(stripped) or (
                start is not None and not is_log_line(stripped) and len(_WORDS.findall(stripped))
                >= len(_TOKENS.findall(stripped)) / 2):
            if start is None:
                start = pos
            end = line_end
        else:
            if start is not None:
                segments.append((start, end))
                start = None
        pos = line_end
    if start is not None:
        segments.append((start, end))
    return segments
