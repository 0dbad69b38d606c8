"""Fail-closed static scanning of AI model files.

Entry point: :func:`scan_model_bytes` (pure: bytes in, :class:`~caresec.model.ai_model.ScanVerdict`
out). Nothing in a model file is ever loaded, imported, executed or unpickled: pickles are walked
opcode by opcode by a symbolic machine (:mod:`.pickle_vm`), containers are read structure by
structure (:mod:`.archive`), and the public scanners picklescan, fickling and modelscan are
consulted as libraries on the same parts (:mod:`.external`). See docs/model-scanning.md.
"""

from caresec.analyze.modelscan.context import DEFAULT_REQUIRED, ScanPolicy
from caresec.analyze.modelscan.engine import scan_model_bytes
from caresec.analyze.modelscan.limits import ScanLimits

__all__ = ["DEFAULT_REQUIRED", "ScanLimits", "ScanPolicy", "scan_model_bytes"]
