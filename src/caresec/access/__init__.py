"""EHR access-log review: explain normal access first, then find snooping, at health-system
scale (DuckDB embedded, Apache Spark for billions of events).

Public entry points:

* :func:`review_access` (events + context folder → :class:`~caresec.model.access.AccessReview`);
* :func:`access_findings` (review → ``access-case`` findings for the risk register);
* :func:`ingest_events` (logs → normalized Parquet);
* :func:`load_context` (context folder → tables);
* :mod:`caresec.access.generator` (synthetic hospital and labelled log).
"""

from __future__ import annotations

from caresec.access.context import Context, load_context
from caresec.access.findings import KIND_ACCESS_CASE, access_findings
from caresec.access.ingest import IngestResult, ingest_events
from caresec.access.pseudonym import Identity, KeyedPseudonymizer, Pseudonymizer
from caresec.access.review import review_access

__all__ = [
    "KIND_ACCESS_CASE",
    "Context",
    "Identity",
    "IngestResult",
    "KeyedPseudonymizer",
    "Pseudonymizer",
    "access_findings",
    "ingest_events",
    "load_context",
    "review_access",
]
