"""Safe probes of the organization's own DICOM, HL7 v2 (MLLP), FHIR and TLS services, Nmap XML
import, and the findings they give.

Importing this package stays cheap: the probes themselves (pynetdicom, httpx) load only when a
run starts (:mod:`caresec.probe.runner`). What the audit pipeline needs is here:

* :func:`load_probe_results` — read the organization's recorded probe runs, Nmap scans and host
  map (``probes/``) into observations and input problems;
* :func:`exposure_findings` — exposure, unmanaged-asset and MDS2-contradiction findings;
* :func:`exposure_map` — rows for the report's exposure map by network zone;
* :func:`device_observations` — probe facts to compare with MDS2 answers.
"""

from __future__ import annotations

from caresec.probe.evidence import load_probe_results
from caresec.probe.findings import (
    KIND_EXPOSURE,
    KIND_MDS2_CONTRADICTION,
    KIND_UNMANAGED,
    device_observations,
    exposure_findings,
    exposure_map,
)

__all__ = [
    "KIND_EXPOSURE",
    "KIND_MDS2_CONTRADICTION",
    "KIND_UNMANAGED",
    "device_observations",
    "exposure_findings",
    "exposure_map",
    "load_probe_results",
]
