"""Catalogs: versioned data files (YAML) validated by pydantic at load.

Each file carries ``version`` and ``source`` (the citation of what it encodes). Loaders are
cached; a file that fails validation raises :class:`caresec.errors.CatalogError`.
"""

from caresec.catalogs.loader import CatalogHeader, load_catalog, load_threat_events

__all__ = ["CatalogHeader", "load_catalog", "load_threat_events"]
