"""STIX 2.1 patterns: split into directly matchable values, or kept for stix2-matcher.

STIX 2.1 §9 (Patterning). A pattern is *plain* when it is one or more observation expressions
joined by ``OR`` whose comparisons are joined by ``OR`` and are each one of

* ``<type>:value = '<literal>'`` for ``ipv4-addr``, ``ipv6-addr``, ``domain-name``, ``url``,
  ``email-addr``; ``ipv4-addr:value ISSUBSET '<cidr>'`` (§9.5 "ISSUBSET");
* ``file:hashes.<MD5 | SHA-1 | SHA-256> = '<hex>'``;
* the same with ``IN (...)`` instead of ``=`` (§9.5 "IN").

A plain pattern becomes one :class:`~caresec.model.intel.Indicator` per value. Anything else
is valid STIX that caresec hands to stix2-matcher line by line, or, when it combines several
observations or carries qualifiers (``AND``/``FOLLOWEDBY`` between observations, ``WITHIN``,
``REPEATS``, ``START``/``STOP``), reports as not supported: a single log line cannot satisfy it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stix2 import patterns as sp
from stix2.pattern_visitor import create_pattern_object

from caresec.intel.normalize import normalize
from caresec.model.intel import IndicatorKind, PatternSupport

Atom = tuple[IndicatorKind, str]

_VALUE_KINDS = {
    "ipv4-addr": IndicatorKind.IPV4,
    "ipv6-addr": IndicatorKind.IPV6,
    "domain-name": IndicatorKind.DOMAIN,
    "url": IndicatorKind.URL,
    "email-addr": IndicatorKind.EMAIL,
}
_HASH_KINDS = {"md5": IndicatorKind.MD5, "sha1": IndicatorKind.SHA1,
               "sha256": IndicatorKind.SHA256}
# Reference paths whose value identifies a network or mail endpoint: usable to select the
# candidate lines of a pattern, but the pattern itself is judged by stix2-matcher.
_REF_PATHS = {
    ("network-traffic", "src_ref", "value"), ("network-traffic", "dst_ref", "value"),
    ("email-message", "from_ref", "value"), ("email-message", "sender_ref", "value"),
}
_SIMPLE = re.compile(
    r"^\[\s*(?P<type>[a-z0-9-]+):(?P<path>value|hashes\.(?:'[A-Za-z0-9-]+'|[A-Za-z0-9]+))"
    r"\s*=\s*'(?P<literal>(?:[^'\\]|\\['\\])*)'\s*\]$"
)
_UNESCAPE = re.compile(r"\\(['\\])")


@dataclass(frozen=True, slots=True)
class Decomposed:
    """What a pattern amounts to.

    Attributes:
        atoms: the values of a plain pattern (empty otherwise).
        support: None for a plain pattern, else how the pattern is handled.
        reason: for a non-plain pattern, why (a sentence).
        object_types: cyber-observable types the pattern names, sorted.
        candidates: values one of which a line must hold for the pattern to match.
        rejected: values of a plain pattern that are not valid for their type (each a
            message); the other values are kept.
    """

    atoms: tuple[Atom, ...] = ()
    support: PatternSupport | None = None
    reason: str = ""
    object_types: tuple[str, ...] = ()
    candidates: tuple[Atom, ...] = ()
    rejected: tuple[str, ...] = ()


def unescape(literal: str) -> str:
    """A STIX string literal's value (§9.3: ``\\'`` and ``\\\\`` escapes)."""
    return _UNESCAPE.sub(r"\1", literal)


def _hash_kind(name: str) -> IndicatorKind | None:
    return _HASH_KINDS.get(name.strip("'").replace("-", "").lower())


def _path_kind(object_type: str, path: list[str]) -> IndicatorKind | None:
    if path == ["value"]:
        return _VALUE_KINDS.get(object_type)
    if object_type == "file" and len(path) == 2 and path[0] == "hashes":
        return _hash_kind(path[1])
    return None


def decompose(pattern: str) -> Decomposed:
    """Split a STIX 2.1 pattern into matchable values, or describe how it will be handled.

    Args:
        pattern: the indicator's ``pattern`` (``pattern_type`` ``stix``).

    Returns:
        A :class:`Decomposed`.

    Raises:
        ValueError: the pattern does not parse (message from the STIX pattern grammar).
    """
    simple = _SIMPLE.match(pattern)
    if simple is not None:
        kind = _path_kind(simple["type"], simple["path"].split(".", 1))
        if kind is not None:
            return _plain([(kind, unescape(simple["literal"]))], (simple["type"],))
    try:
        tree = create_pattern_object(pattern, version="2.1")
    except Exception as exc:  # the grammar raises several unrelated types
        raise ValueError(f"pattern does not parse: {_first_line(exc)}") from None
    types = tuple(sorted(_object_types(tree)))
    raw = _atoms(tree)
    if raw is not None:
        return _plain(raw, types)
    multi = _multi_observation(tree)
    if multi:
        return Decomposed(support=PatternSupport.NOT_SUPPORTED, object_types=types,
                          reason=f"the pattern {multi}; caresec judges one log line at a time")
    keys = _required(tree)
    candidates: list[Atom] = []
    for kind, value in keys or ():
        try:
            candidates.append(normalize(kind, value))
        except ValueError:
            candidates = []
            break
    return Decomposed(
        support=PatternSupport.EVALUATED,
        object_types=types,
        candidates=tuple(dict.fromkeys(candidates)),
        reason="comparisons other than equality on a value or hash (evaluated with "
               "stix2-matcher on each candidate line)",
    )


def _plain(raw: list[tuple[IndicatorKind, str]], types: tuple[str, ...]) -> Decomposed:
    atoms: list[Atom] = []
    rejected: list[str] = []
    for kind, value in raw:
        try:
            atoms.append(normalize(kind, value))
        except ValueError as exc:
            rejected.append(str(exc))
    return Decomposed(atoms=tuple(dict.fromkeys(atoms)), object_types=types,
                      rejected=tuple(rejected))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _path(lhs: Any) -> tuple[str, list[str]]:
    names = [str(c.property_name) for c in lhs.property_path]
    return str(lhs.object_type_name), names


def _strings(rhs: Any) -> list[str] | None:
    if isinstance(rhs, sp.StringConstant):
        return [unescape(str(rhs.value))]
    if isinstance(rhs, sp.ListConstant):
        values = [v for v in rhs.value]
        if all(isinstance(v, sp.StringConstant) for v in values):
            return [unescape(str(v.value)) for v in values]
    return None


def _atoms(node: Any) -> list[tuple[IndicatorKind, str]] | None:
    """The values of a plain pattern, or None when the pattern is not plain."""
    if isinstance(node, sp.ObservationExpression):
        return _atoms(node.operand)
    if isinstance(node, sp.ParentheticalExpression):
        return _atoms(node.expression)
    if isinstance(node, (sp.OrObservationExpression, sp.OrBooleanExpression)):
        found: list[tuple[IndicatorKind, str]] = []
        for operand in node.operands:
            part = _atoms(operand)
            if part is None:
                return None
            found.extend(part)
        return found
    if isinstance(node, (sp.EqualityComparisonExpression, sp.InComparisonExpression,
                         sp.IsSubsetComparisonExpression)) and not node.negated:
        object_type, path = _path(node.lhs)
        kind = _path_kind(object_type, path)
        if kind is None:
            return None
        if isinstance(node, sp.IsSubsetComparisonExpression) and kind not in (
                IndicatorKind.IPV4, IndicatorKind.IPV6):
            return None
        values = _strings(node.rhs)
        return None if values is None else [(kind, v) for v in values]
    return None


def _required(node: Any) -> list[tuple[IndicatorKind, str]] | None:
    """Values one of which must be present for ``node`` to match, or None if unknown."""
    if isinstance(node, (sp.ObservationExpression,)):
        return _required(node.operand)
    if isinstance(node, sp.ParentheticalExpression):
        return _required(node.expression)
    if isinstance(node, (sp.OrObservationExpression, sp.OrBooleanExpression)):
        found: list[tuple[IndicatorKind, str]] = []
        for operand in node.operands:
            part = _required(operand)
            if part is None:
                return None
            found.extend(part)
        return found
    if isinstance(node, sp.AndBooleanExpression):
        options = [p for p in (_required(o) for o in node.operands) if p]
        return min(options, key=len) if options else None
    if isinstance(node, (sp.EqualityComparisonExpression, sp.InComparisonExpression)) \
            and not node.negated:
        object_type, path = _path(node.lhs)
        values = _strings(node.rhs)
        if values is None:
            return None
        kind = _path_kind(object_type, path)
        if kind is not None:
            return [(kind, v) for v in values]
        if (object_type, *path) in _REF_PATHS:
            ref_kind = (IndicatorKind.EMAIL if object_type == "email-message"
                        else IndicatorKind.DOMAIN)  # DOMAIN normalizes IP literals to IPs
            return [(ref_kind, v) for v in values]
    return None


def _object_types(node: Any) -> set[str]:
    if isinstance(node, sp._ComparisonExpression):
        return {str(node.lhs.object_type_name)}
    found: set[str] = set()
    for child in _children(node):
        found |= _object_types(child)
    return found


def _children(node: Any) -> list[Any]:
    if isinstance(node, (sp.ObservationExpression,)):
        return [node.operand]
    if isinstance(node, sp.ParentheticalExpression):
        return [node.expression]
    if isinstance(node, sp.QualifiedObservationExpression):
        return [node.observation_expression]
    if isinstance(node, (sp._BooleanExpression, sp._CompoundObservationExpression)):
        return list(node.operands)
    return []


def _multi_observation(node: Any) -> str:
    """Why the pattern needs several observations (or time), or ``""`` when it does not."""
    if isinstance(node, sp.QualifiedObservationExpression):
        return f"carries the qualifier {str(node.qualifier).strip()}"
    if isinstance(node, sp.FollowedByObservationExpression):
        return "orders observations with FOLLOWEDBY"
    if isinstance(node, sp.AndObservationExpression):
        return "joins separate observations with AND"
    for child in _children(node):
        if isinstance(child, sp._ComparisonExpression):
            continue
        found = _multi_observation(child)
        if found:
            return found
    return ""
