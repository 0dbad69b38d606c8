"""Column mappings for CSV access logs: a shipped preset or a mapping file.

A mapping file is YAML (docs/access-review.md §CSV exports)::

    preset: caresec            # optional: start from a shipped preset
    columns:                   # caresec field: column name in the export
      time: Access Time
      user_id: Login
      patient_id: MRN
      action: Action
    actions:                   # extra values of the action column
      Chart Viewed: view
    timezone: America/Chicago  # for timestamps without an offset
    time_format: "%m/%d/%Y %H:%M:%S"   # optional strptime format
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from caresec.access.catalog import FIELDS, REQUIRED_FIELDS, presets
from caresec.errors import InputError
from caresec.model.access import AccessAction

_KEYS = ("preset", "columns", "actions", "timezone", "time_format")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How to read one CSV export.

    Attributes:
        name: the preset id or the mapping file's path.
        columns: caresec field → column name (``time``, ``user_id`` and ``action`` required).
        actions: extra action words (lower case) → action value, on top of the shipped ones.
        timezone: IANA zone for timestamps without an offset ("" = the review's time zone).
        time_format: ``strptime`` format ("" = ISO 8601).
    """

    name: str
    columns: dict[str, str]
    actions: dict[str, str] = field(default_factory=dict)
    timezone: str = ""
    time_format: str = ""

    def missing(self, header: Sequence[str]) -> list[str]:
        """Required fields whose column is not in ``header``."""
        present = set(header)
        return [f for f in REQUIRED_FIELDS if self.columns.get(f) not in present]


def preset_mapping(preset_id: str) -> ColumnMapping:
    """The shipped preset ``preset_id`` as a mapping.

    Raises:
        InputError: no such preset.
    """
    preset = presets().preset(preset_id)
    if preset is None:
        known = ", ".join(p.id for p in presets().presets)
        raise InputError(preset_id, "", f"no column-mapping preset called {preset_id!r}",
                         hint=f"Known presets: {known}; or give a mapping file.")
    return ColumnMapping(name=preset.id, columns=dict(preset.columns))


def detect_preset(header: Sequence[str]) -> ColumnMapping | None:
    """The first shipped preset whose required columns are all in ``header``, or None."""
    for preset in presets().presets:
        mapping = ColumnMapping(name=preset.id, columns=dict(preset.columns))
        if not mapping.missing(header):
            return mapping
    return None


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping file (YAML, keys as in the module docstring).

    Raises:
        InputError: the file cannot be read, is not YAML, has unknown keys or fields, names an
            unknown action or preset, or leaves a required field unmapped (key named).
    """
    shown = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(shown, "", f"cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark is not None else ""
        raise InputError(shown, place, "is not valid YAML") from exc
    if not isinstance(data, dict):
        raise InputError(shown, "", "a mapping file must be a YAML mapping (columns: …)")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise InputError(shown, unknown[0], f"unknown key; the keys are {', '.join(_KEYS)}")
    columns: dict[str, str] = {}
    if data.get("preset"):
        columns.update(preset_mapping(str(data["preset"])).columns)
    given = data.get("columns") or {}
    if not isinstance(given, dict):
        raise InputError(shown, "columns", "must map caresec fields to column names")
    for key, value in given.items():
        if key not in FIELDS:
            raise InputError(shown, f"columns.{key}",
                             f"unknown field; the fields are {', '.join(FIELDS)}")
        columns[str(key)] = str(value)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise InputError(shown, "columns", f"required field(s) {', '.join(missing)} not mapped")
    actions: dict[str, str] = {}
    given_actions = data.get("actions") or {}
    if not isinstance(given_actions, dict):
        raise InputError(shown, "actions", "must map column values to actions")
    allowed = {a.value for a in AccessAction}
    for word, action in given_actions.items():
        if str(action) not in allowed:
            raise InputError(shown, f"actions.{word}", f"{action!r} is not an action; use one "
                             f"of {', '.join(sorted(allowed))}")
        actions[str(word).strip().lower()] = str(action)
    return ColumnMapping(
        name=shown,
        columns=columns,
        actions=actions,
        timezone=str(data.get("timezone") or ""),
        time_format=str(data.get("time_format") or ""),
    )
