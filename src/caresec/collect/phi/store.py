"""The ePHI inventory on disk: ``ORG/.caresec/phi-inventory.json``, pseudonymous by design.

The file holds exactly the :class:`~caresec.model.phi.PhiInventory` record: counts, keyed
pseudonyms, value shapes and places — never an identifier — so it may be kept and compared
between scans (change since the previous scan).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from caresec.errors import StoreError
from caresec.model.phi import (
    Change,
    DataSource,
    PhiExample,
    PhiInventory,
    PhiLocation,
    PhiType,
    Sensitivity,
)
from caresec.model.problems import InputProblem, ProblemSeverity

INVENTORY_FILE = Path(".caresec") / "phi-inventory.json"
FORMAT_VERSION = 1


def inventory_path(org_root: Path) -> Path:
    """``ORG/.caresec/phi-inventory.json``."""
    return org_root / INVENTORY_FILE


def to_jsonable(value: Any) -> Any:
    """Records → JSON values (enums by value, datetimes ISO 8601, tuples as lists)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def inventory_dict(inventory: PhiInventory) -> dict[str, Any]:
    """The inventory as a JSON-ready dict (``format`` = 1)."""
    data: dict[str, Any] = to_jsonable(asdict(inventory))
    data["format"] = FORMAT_VERSION
    data["ephi_map"] = {asset or "": {k.value: n for k, n in counts.items()}
                        for asset, counts in inventory.by_asset().items()}
    return data


def save_inventory(path: Path, inventory: PhiInventory) -> None:
    """Write the inventory (owner-only permissions, replaced atomically).

    Raises:
        StoreError: the file cannot be written.
    """
    text = json.dumps(inventory_dict(inventory), indent=1, sort_keys=True) + "\n"
    temp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot write the ePHI inventory ({exc.strerror}).") from exc


def load_inventory(path: Path) -> PhiInventory | None:
    """The saved inventory, or None when there is none.

    Raises:
        StoreError: the file exists but is not a readable inventory.
    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _inventory(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: not a readable ePHI inventory ({exc}).",
                         hint="Delete it to start a new baseline.") from exc


def _inventory(data: dict[str, Any]) -> PhiInventory:
    return PhiInventory(
        scanned_at=datetime.fromisoformat(data["scanned_at"]),
        key_id=data["key_id"],
        locations=tuple(_location(d) for d in data["locations"]),
        problems=tuple(InputProblem(p["file"], p["place"], p["message"],
                                    ProblemSeverity(p["severity"]), p.get("collector", ""))
                       for p in data["problems"]),
        files=data["files"], bytes=data["bytes"], clean=data["clean"],
        sources=tuple(DataSource(**s) for s in data.get("sources", [])),
    )


def _location(d: dict[str, Any]) -> PhiLocation:
    return PhiLocation(
        location=d["location"], kind=d["kind"], format=d["format"],
        counts=tuple((PhiType(k), int(n)) for k, n in d["counts"]),
        individuals=d["individuals"], sensitivity=Sensitivity(d["sensitivity"]),
        records=d["records"], bytes=d["bytes"],
        modified=datetime.fromisoformat(d["modified"]) if d.get("modified") else None,
        asset_id=d["asset_id"], owner=d["owner"], change=Change(d["change"]),
        change_detail=d["change_detail"],
        examples=tuple(PhiExample(PhiType(e["type"]), e["place"], e["pseudonym"], e["shape"],
                                  e["detector"]) for e in d["examples"]),
        digest=d["digest"],
    )
