"""JSON rendering of ``caresec sbom match``: one SBOM's components against the feeds.

Shape (all keys always present)::

    {
      "sbom": {"path", "format", "spec_version", "components"},
      "feeds": [{"name", "digest", "records", "imported_at"}],
      "matches": [{
          "component": {"purl", "bom_ref", "name", "version"},
          "vulnerability": {"id", "aliases", "advisory_ids", "summary"},
          "severity", "cvss_score", "cvss_vector",
          "kev": {"date_added", "due_date", "ransomware", "name"} | null,
          "epss": {"epss", "percentile"} | null,
          "fixed_versions", "basis"}],
      "not_assessed": [{"component": {...}, "reason"}],
      "problems": [{"file", "place", "message", "severity", "collector"}]
    }
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from caresec.model import (
    Component,
    FeedSummary,
    InputProblem,
    NotAssessed,
    Sbom,
    VulnerabilityMatch,
)

__all__ = ["render_sbom_match_json"]


def render_sbom_match_json(
    sbom: Sbom,
    matches: Sequence[VulnerabilityMatch],
    not_assessed: Sequence[NotAssessed],
    feeds: Sequence[FeedSummary],
    problems: Sequence[InputProblem],
) -> str:
    """Render the match result of one SBOM as indented JSON (UTF-8 text, trailing newline)."""
    document = {
        "sbom": {
            "path": sbom.path,
            "format": sbom.format,
            "spec_version": sbom.spec_version,
            "components": len(sbom.components),
        },
        "feeds": [
            {"name": f.name, "digest": f.digest, "records": f.records,
             "imported_at": f.imported_at}
            for f in feeds
        ],
        "matches": [_match(m) for m in matches],
        "not_assessed": [
            {"component": _component(n.component), "reason": n.reason} for n in not_assessed
        ],
        "problems": [
            {"file": p.file, "place": p.place, "message": p.message,
             "severity": str(p.severity), "collector": p.collector}
            for p in problems
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _component(component: Component) -> dict[str, Any]:
    return {
        "purl": component.purl,
        "bom_ref": component.bom_ref,
        "name": component.name,
        "version": component.version,
    }


def _match(match: VulnerabilityMatch) -> dict[str, Any]:
    kev = match.kev
    epss = match.epss
    return {
        "component": _component(match.component),
        "vulnerability": {
            "id": match.vulnerability_id,
            "aliases": list(match.aliases),
            "advisory_ids": list(match.advisory_ids),
            "summary": match.summary,
        },
        "severity": str(match.severity),
        "cvss_score": match.cvss_score,
        "cvss_vector": match.cvss_vector,
        "kev": None if kev is None else {
            "date_added": kev.date_added.isoformat(),
            "due_date": kev.due_date.isoformat() if kev.due_date else None,
            "ransomware": kev.ransomware,
            "name": kev.name,
        },
        "epss": None if epss is None else {"epss": epss.epss, "percentile": epss.percentile},
        "fixed_versions": list(match.fixed_versions),
        "basis": match.basis,
    }
