"""Pull every configured source into the store; load indicators; check a bundle before a push.

These are the steps behind ``caresec intel pull``, ``match``, ``export`` and ``push``; the CLI
only prints and writes files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from caresec.intel import taxii
from caresec.intel.config import IntelConfig, SourceConfig
from caresec.intel.logs import INTERNAL_ROLES, LogSource, assign_files, read_chunks
from caresec.intel.misp import iter_feed
from caresec.intel.stix_import import (
    StixObject,
    bundle_markings,
    indicator_set,
    latest_versions,
    read_bundle,
)
from caresec.intel.store import IntelStore
from caresec.intel.tlp import object_tlp
from caresec.intel.warninglists import Warninglists, load_warninglists
from caresec.model.intel import IndicatorSet, Tlp
from caresec.model.problems import InputProblem

OWN_SOURCE = "own"
Progress = Callable[[str], None]


def pull_source(source: SourceConfig, store: IntelStore, *, max_bytes: int,
                env: Mapping[str, str] | None = None, progress: Progress | None = None,
                ) -> taxii.PullReport:
    """Pull one source into the store (one transaction per file, page or event).

    Returns:
        A :class:`~caresec.intel.taxii.PullReport`; ``error`` is set when the pull stopped
        early (objects stored before stay stored).
    """
    if source.kind == "taxii":
        return taxii.pull(source.endpoint(env), store, source.name, max_bytes=max_bytes,
                          progress=progress)
    assert source.path is not None
    if source.kind == "stix":
        return _pull_stix(source.name, source.path, store, max_bytes)
    return _pull_misp(source.name, source.path, store)


def _pull_stix(name: str, path: Path, store: IntelStore, max_bytes: int) -> taxii.PullReport:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
    elif path.is_file():
        files = [path]
    else:
        return taxii.PullReport(name, error=f"{path}: no such bundle file or folder")
    received = stored = 0
    problems: list[InputProblem] = []
    for file in files:
        objects, file_problems = read_bundle(file, max_bytes=max_bytes)
        problems.extend(file_problems)
        received += len(objects)
        stored += store.add(name, objects)
    return taxii.PullReport(name, pages=len(files), received=received, stored=stored,
                            problems=tuple(problems))


def _pull_misp(name: str, path: Path, store: IntelStore) -> taxii.PullReport:
    if not path.is_dir():
        return taxii.PullReport(name, error=f"{path}: no such MISP feed folder")
    seen = {k.removeprefix("event:"): int(v) for k, v in store.states(name, "event:").items()
            if v.isdigit()}
    events = received = stored = 0
    problems: list[InputProblem] = []
    for event, objects, event_problems in iter_feed(path, seen):
        problems.extend(event_problems)
        if not event.uuid:
            continue
        state = {f"event:{event.uuid}": str(event.timestamp)} if event.timestamp else {}
        events += 1
        received += len(objects)
        stored += store.add(name, objects, state)
    return taxii.PullReport(name, pages=events, received=received, stored=stored,
                            problems=tuple(problems))


def pull_all(config: IntelConfig, store: IntelStore, *, names: Sequence[str] = (),
             env: Mapping[str, str] | None = None, progress: Progress | None = None,
             ) -> list[taxii.PullReport]:
    """Pull the configured sources (or only ``names``), in configuration order."""
    chosen = [s for s in config.sources if not names or s.name in names]
    return [pull_source(s, store, max_bytes=config.max_bundle_bytes, env=env, progress=progress)
            for s in chosen]


def own_objects(config: IntelConfig) -> tuple[list[StixObject], list[InputProblem]]:
    """The organization's own bundle (``own_indicators``), validated; empty when unset."""
    if config.own_indicators is None:
        return [], []
    return read_bundle(config.own_indicators, max_bytes=config.max_bundle_bytes)


def load_indicators(config: IntelConfig, store: IntelStore | None,
                    include_own: bool = True) -> IndicatorSet:
    """Every indicator of the store's sources and of the organization's own bundle."""
    groups: list[tuple[str, Sequence[StixObject]]] = list(store.by_source()) if store else []
    problems: list[InputProblem] = []
    if include_own:
        own, problems = own_objects(config)
        if own:
            groups.append((OWN_SOURCE, own))
    found = indicator_set(groups, config.source_tlp(), config.policy.default_tlp)
    return IndicatorSet(found.indicators, found.patterns, (*problems, *found.problems))


def load_lists(config: IntelConfig) -> tuple[Warninglists, list[InputProblem]]:
    """The enabled warninglists (none when ``warninglists_dir`` is unset)."""
    if config.warninglists_dir is None:
        return Warninglists(), []
    return load_warninglists(config.warninglists_dir, config.warninglists)


def internal_names(pairs: Iterable[tuple[Path, LogSource]]) -> set[str]:
    """Values of the ``host`` and ``user`` columns of the given log files (never exported)."""
    found: set[str] = set()
    sink: list[InputProblem] = []
    for path, source in pairs:
        columns = [c for c, r in source.columns if r in INTERNAL_ROLES]
        if not columns:
            continue
        for chunk in read_chunks(path, source, sink):
            for column in columns:
                found.update(v for v in chunk.columns.get(column, ()) if v)
    return found


def log_internal_names(mapping: Sequence[LogSource], paths: Sequence[Path]) -> set[str]:
    """:func:`internal_names` of the log files the mapping finds (or ``paths``)."""
    pairs, _ = assign_files(mapping, paths)
    return internal_names(pairs)


def downgrades(bundle: Mapping[str, Any], store: IntelStore | None,
               own: Sequence[StixObject] = (), source_tlp: Mapping[str, Tlp] | None = None,
               ) -> list[str]:
    """Objects the bundle marks less strictly than they were received (never allowed).

    Compares each object's TLP in ``bundle`` with the strictest TLP the same id had when
    received: its marking in the store (any source) or in the organization's own bundle, or,
    for an unmarked stored object, its source's default TLP (``source_tlp``).

    Returns:
        One sentence per downgraded object.
    """
    received: dict[str, Tlp] = {}
    defaults = source_tlp or {}
    groups: list[tuple[str, Sequence[StixObject]]] = [(OWN_SOURCE, own)]
    if store is not None:
        groups.extend(store.by_source())
    for source, objects in groups:
        markings = bundle_markings(objects)
        for obj in latest_versions(objects):
            if obj.get("type") == "marking-definition":
                continue
            tlp = object_tlp(obj, markings) or defaults.get(source)
            if tlp is not None:
                key = str(obj["id"])
                current = received.get(key)
                received[key] = tlp if current is None or tlp.rank > current.rank else current
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        return []
    markings = bundle_markings(o for o in objects if isinstance(o, dict))
    found: list[str] = []
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") == "marking-definition":
            continue
        before = received.get(str(obj.get("id")))
        now = object_tlp(obj, markings)
        if before is not None and (now is None or now.rank < before.rank):
            shown = now.label if now else "no TLP marking"
            found.append(f"{obj.get('id')} was received as {before.label} and is marked "
                         f"{shown} here")
    return found
