"""PHI discovery collector: scan files, folders and databases into an ePHI inventory.

Entry point: :func:`scan_sources`. Detection itself (pure, no I/O) is :mod:`caresec.phi`;
keyed pseudonyms are :mod:`caresec.privacy`; the saved inventory is :mod:`.store`.
"""

from __future__ import annotations

from caresec.collect.phi.context import Limits
from caresec.collect.phi.scan import Progress, scan_sources, sniff
from caresec.collect.phi.store import inventory_path, load_inventory, save_inventory

__all__ = ["Limits", "Progress", "inventory_path", "load_inventory", "save_inventory",
           "scan_sources", "sniff"]
