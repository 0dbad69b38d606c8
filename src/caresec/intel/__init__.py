"""Threat intelligence: import (STIX 2.1, TAXII 2.1, MISP feeds), match logs, share safely.

Public entry points:

* :func:`load_intel_config` — the ``[intel]`` table of ``caresec.toml``.
* :func:`pull_all` — pull configured sources into ``ORG/.caresec/intel.sqlite``.
* :func:`load_indicators`, :func:`load_lists` — the indicator set and warninglists.
* :func:`match_logs` — match log files against indicators; :func:`intel_findings` — the
  ``intel-hit`` findings for the risk register.
* :func:`export_bundle` — the organization's STIX 2.1 bundle, TLP-marked, validated and
  passed through the PHI gate; :func:`push` — publish it to a TAXII 2.1 collection.
"""

from __future__ import annotations

from caresec.intel.config import IntelConfig, PushConfig, SourceConfig, load_intel_config
from caresec.intel.findings import KIND_INTEL_HIT, intel_findings
from caresec.intel.logs import LogSource, load_mapping
from caresec.intel.matcher import IndicatorIndex, match_logs
from caresec.intel.phi_gate import (
    GateViolation,
    PhiDetector,
    PhiGateError,
    PhiSpan,
    check_export,
    default_detector,
    gate,
)
from caresec.intel.sources import load_indicators, load_lists, pull_all
from caresec.intel.stix_export import ExportError, ExportSummary, export_bundle
from caresec.intel.store import IntelStore, store_file
from caresec.intel.taxii import PullReport, PushReport, TaxiiEndpoint, pull, push
from caresec.intel.tlp import TlpPolicy
from caresec.intel.warninglists import Warninglists, load_warninglists

__all__ = [
    "KIND_INTEL_HIT",
    "ExportError",
    "ExportSummary",
    "GateViolation",
    "IndicatorIndex",
    "IntelConfig",
    "IntelStore",
    "LogSource",
    "PhiDetector",
    "PhiGateError",
    "PhiSpan",
    "PullReport",
    "PushConfig",
    "PushReport",
    "SourceConfig",
    "TaxiiEndpoint",
    "TlpPolicy",
    "Warninglists",
    "check_export",
    "default_detector",
    "export_bundle",
    "gate",
    "intel_findings",
    "load_indicators",
    "load_intel_config",
    "load_lists",
    "load_mapping",
    "load_warninglists",
    "match_logs",
    "pull",
    "pull_all",
    "push",
    "store_file",
]
