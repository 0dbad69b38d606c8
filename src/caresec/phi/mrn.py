"""Medical record number formats: configured as regular expressions, or learned from a sample.

MRNs have no national format; each organization has its own (``RCH0004711``, ``00123456``,
``M-445-2231``). :func:`learn_mrn_pattern` turns a sample of the organization's own ids into a
regular expression that :class:`~caresec.phi.engine.DetectorConfig` accepts in
``mrn_patterns``: a match of a learned format counts as an MRN without a context word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

MAX_SHAPES = 3


def _shape(value: str, prefix: str) -> tuple[tuple[str, int], ...]:
    """Runs of character classes after ``prefix``: ``("d", 7)``, ``("A", 2)``, ``("-", 1)``."""
    runs: list[tuple[str, int]] = []
    for ch in value[len(prefix):]:
        cls = "d" if ch.isdigit() else "A" if ch.isalpha() else ch
        if runs and runs[-1][0] == cls:
            runs[-1] = (cls, runs[-1][1] + 1)
        else:
            runs.append((cls, 1))
    return tuple(runs)


def _regex(prefix: str, shape: tuple[tuple[str, int], ...]) -> str:
    parts = [re.escape(prefix)]
    for cls, n in shape:
        atom = r"\d" if cls == "d" else "[A-Z]" if cls == "A" else re.escape(cls)
        parts.append(atom if n == 1 else f"{atom}{{{n}}}")
    return "".join(parts)


def learn_mrn_pattern(samples: Iterable[str]) -> str:
    """A regular expression matching the formats of a sample of MRNs.

    The letters every sample starts with are kept literally (``RCH``); the rest becomes runs of
    digits, letters and separators with their exact lengths. Up to three distinct shapes are
    kept (the most common), joined with ``|``.

    Args:
        samples: MRNs as the organization writes them (at least one).

    Returns:
        A regular expression (no anchors; :mod:`caresec.phi.recognizers` adds word boundaries).

    Raises:
        ValueError: no non-empty sample, or samples without a digit (not an id format).
    """
    values = [s.strip().upper() for s in samples if s and s.strip()]
    if not values:
        raise ValueError("no MRN samples to learn from")
    if not all(any(c.isdigit() for c in v) for v in values):
        raise ValueError("MRN samples must contain digits")
    prefix = ""
    for chars in zip(*values, strict=False):
        if len(set(chars)) != 1 or not chars[0].isalpha():
            break
        prefix += chars[0]
    shapes = Counter(_shape(v, prefix) for v in values)
    return "|".join(_regex(prefix, shape) for shape, _ in shapes.most_common(MAX_SHAPES))
