"""MISP warninglists: lists of well-known values that are false positives as indicators.

Source: MISP/misp-warninglists (``lists/<name>/list.json`` and its ``schema.json``): each list
has ``name``, ``type`` (``string``, ``substring``, ``hostname``, ``cidr``, ``regex``),
``list`` and optional ``matching_attributes`` (MISP attribute types it applies to; none = all).

How caresec applies a list to an indicator value (lower-cased):

* ``string``: equal to an entry.
* ``substring``: contains an entry.
* ``hostname``: the domain (for a URL its host, for an e-mail its domain) equals an entry or is
  a subdomain of it; an entry written with a leading dot (``.3322.org``) matches subdomains
  only.
* ``cidr``: the address or network lies inside an entry network.
* ``regex``: an entry (Python :mod:`re` syntax) matches somewhere in the value.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from caresec.intel.normalize import url_host
from caresec.intel.stix_import import COLLECTOR
from caresec.model.intel import Indicator, IndicatorKind, Suppression
from caresec.model.problems import InputProblem, ProblemSeverity

LIST_TYPES = ("string", "substring", "hostname", "cidr", "regex")

# indicator kind → the MISP attribute types that carry it.
MISP_TYPES: Mapping[IndicatorKind, frozenset[str]] = {
    IndicatorKind.IPV4: frozenset({"ip-src", "ip-dst", "ip-src|port", "ip-dst|port",
                                   "domain|ip"}),
    IndicatorKind.IPV6: frozenset({"ip-src", "ip-dst", "ip-src|port", "ip-dst|port",
                                   "domain|ip"}),
    IndicatorKind.DOMAIN: frozenset({"domain", "hostname", "domain|ip"}),
    IndicatorKind.URL: frozenset({"url", "uri", "link"}),
    IndicatorKind.EMAIL: frozenset({"email", "email-src", "email-dst"}),
    IndicatorKind.MD5: frozenset({"md5", "filename|md5"}),
    IndicatorKind.SHA1: frozenset({"sha1", "filename|sha1"}),
    IndicatorKind.SHA256: frozenset({"sha256", "filename|sha256"}),
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_DOTTED = re.compile(rf"^{_OCTET}(?:\.{_OCTET}){{3}}$")


@dataclass(slots=True)
class Warninglist:
    """One list, prepared for lookups.

    Attributes:
        name: the list's ``name``.
        list_type: one of :data:`LIST_TYPES`.
        kinds: indicator kinds it applies to (from ``matching_attributes``).
        folder: the list's folder name (``rfc1918``).
    """

    name: str
    list_type: str
    kinds: frozenset[IndicatorKind]
    folder: str = ""
    _exact: dict[str, str] = field(default_factory=dict)
    _subdomains_only: set[str] = field(default_factory=set)
    _networks: dict[int, dict[Network, str]] = field(default_factory=dict)
    _addresses: dict[str, str] = field(default_factory=dict)
    _patterns: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    _substrings: list[str] = field(default_factory=list)

    def match(self, kind: IndicatorKind, value: str) -> str | None:
        """The entry that lists ``value`` (of ``kind``), or None."""
        if kind not in self.kinds:
            return None
        text = value.lower()
        if self.list_type == "string":
            return self._exact.get(text)
        if self.list_type == "substring":
            return next((s for s in self._substrings if s in text), None)
        if self.list_type == "regex":
            return next((raw for rx, raw in self._patterns if rx.search(text)), None)
        if self.list_type == "hostname":
            return self._hostname(kind, text)
        return self._cidr(kind, text)

    def _hostname(self, kind: IndicatorKind, text: str) -> str | None:
        if kind is IndicatorKind.URL:
            try:
                text = url_host(text.split("//", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
                                .split(":", 1)[0])
            except ValueError:
                return None
        elif kind is IndicatorKind.EMAIL:
            text = text.rpartition("@")[2]
        labels = text.split(".")
        for start in range(len(labels)):
            suffix = ".".join(labels[start:])
            entry = self._exact.get(suffix)
            if entry is not None and (start > 0 or suffix not in self._subdomains_only):
                return entry
        return None

    def _cidr(self, kind: IndicatorKind, text: str) -> str | None:
        if kind not in (IndicatorKind.IPV4, IndicatorKind.IPV6):
            return None
        entry = self._addresses.get(text)
        if entry is not None:
            return entry
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return None
        if network.num_addresses == 1:
            entry = self._addresses.get(str(network.network_address))
            if entry is not None:
                return entry
        for prefix, entries in self._networks.items():
            if prefix > network.prefixlen:
                continue
            supernet = network.supernet(new_prefix=prefix) if prefix < network.prefixlen \
                else network
            entry = entries.get(supernet)
            if entry is not None:
                return entry
        return None


@dataclass(frozen=True, slots=True)
class Warninglists:
    """The enabled warninglists.

    Attributes:
        lists: the lists, in folder-name order.
    """

    lists: tuple[Warninglist, ...] = ()

    def check(self, kind: IndicatorKind, value: str) -> tuple[str, str] | None:
        """``(list name, entry)`` of the first list that has ``value``, or None."""
        for warninglist in self.lists:
            entry = warninglist.match(kind, value)
            if entry is not None:
                return warninglist.name, entry
        return None

    def suppressions(self, indicators: Iterable[Indicator]) -> list[Suppression]:
        """A :class:`Suppression` for every indicator value some list has."""
        found: list[Suppression] = []
        for indicator in indicators:
            hit = self.check(indicator.kind, indicator.value)
            if hit is not None:
                found.append(Suppression(indicator.indicator_id, indicator.kind,
                                         indicator.value, hit[0], hit[1]))
        return found


def load_warninglists(folder: Path, names: Iterable[str] | None = None,
                      ) -> tuple[Warninglists, list[InputProblem]]:
    """Load ``<folder>/<name>/list.json`` for every sub-folder (or only ``names``).

    Args:
        folder: a checkout (or copy) of misp-warninglists' ``lists`` folder.
        names: folder names to enable; None = all.

    Returns:
        ``(Warninglists, problems)``: a list that cannot be read, has an unknown ``type`` or a
        bad entry is reported; bad entries are skipped, the rest of the list kept.
    """
    problems: list[InputProblem] = []
    if not folder.is_dir():
        return Warninglists(), [InputProblem(str(folder), "", "warninglists folder not found; "
                                             "no indicator is suppressed",
                                             ProblemSeverity.WARNING, COLLECTOR)]
    wanted = None if names is None else list(dict.fromkeys(names))
    folders = sorted(p.parent for p in folder.glob("*/list.json"))
    if wanted is not None:
        present = {p.name for p in folders}
        for missing in (n for n in wanted if n not in present):
            problems.append(InputProblem(str(folder / missing / "list.json"), "",
                                         "warninglist not found; not applied",
                                         ProblemSeverity.WARNING, COLLECTOR))
        folders = [p for p in folders if p.name in wanted]
    lists: list[Warninglist] = []
    for sub in folders:
        loaded = _load_one(sub / "list.json", problems)
        if loaded is not None:
            lists.append(loaded)
    return Warninglists(tuple(lists)), problems


def _load_one(path: Path, problems: list[InputProblem]) -> Warninglist | None:
    shown = str(path)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        problems.append(InputProblem(shown, "", f"cannot be read as JSON: {exc}",
                                     collector=COLLECTOR))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("list"), list):
        problems.append(InputProblem(shown, "/list", "not a warninglist (no \"list\" array)",
                                     collector=COLLECTOR))
        return None
    list_type = data.get("type", "string")
    if list_type not in LIST_TYPES:
        problems.append(InputProblem(shown, "/type", f"unknown warninglist type {list_type!r} "
                                     f"(known: {', '.join(LIST_TYPES)}); list not applied",
                                     collector=COLLECTOR))
        return None
    attributes = data.get("matching_attributes") or []
    kinds = frozenset(k for k, types in MISP_TYPES.items()
                      if not attributes or types.intersection(map(str, attributes)))
    result = Warninglist(name=str(data.get("name", path.parent.name)), list_type=list_type,
                         kinds=kinds, folder=path.parent.name)
    for index, raw in enumerate(data["list"]):
        entry = str(raw).strip()
        if not entry:
            continue
        try:
            _add(result, entry)
        except (ValueError, re.error) as exc:
            problems.append(InputProblem(shown, f"/list/{index}", f"entry {entry!r} skipped: "
                                         f"{exc}", ProblemSeverity.WARNING, COLLECTOR))
    return result


def _add(target: Warninglist, entry: str) -> None:
    if target.list_type == "cidr":
        if "/" not in entry and ":" not in entry and _DOTTED.match(entry):
            target._addresses[entry] = entry  # a plain IPv4 address, already canonical
            return
        network = ipaddress.ip_network(entry, strict=False)
        if network.num_addresses == 1:
            target._addresses[str(network.network_address)] = entry
        else:
            target._networks.setdefault(network.prefixlen, {})[network] = entry
    elif target.list_type == "regex":
        target._patterns.append((re.compile(entry, re.IGNORECASE), entry))
    elif target.list_type == "substring":
        target._substrings.append(entry.lower())
    elif target.list_type == "hostname":
        key = entry.lower().strip(".")
        target._exact[key] = entry
        if entry.startswith("."):
            target._subdomains_only.add(key)
    else:
        target._exact[entry.lower()] = entry
