"""Read an organization folder's ``caresec.toml`` into an :class:`~caresec.model.OrgConfig`.

The file format is TOML 1.0 (read with :mod:`tomllib`); its keys are documented in
``docs/org-folder.md``. The size tiers are those of HHS 405(d) *Health Industry Cybersecurity
Practices* (HICP): small, medium and large organizations.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from caresec.errors import ConfigError
from caresec.model import OrgConfig, SizeTier

CONFIG_FILE = "caresec.toml"
DEFAULT_PATHS = {"inventory": "inventory", "sboms": "sboms", "feeds": "feeds"}
_ORG_KEYS = ("name", "size_tier")
_TABLES = ("organization", "paths", "settings")
# Tables that belong to a capability; each capability validates its own table.
CAPABILITY_TABLES = ("devices", "models", "phi", "access", "intel", "probe")
_INIT_HINT = "Run `caresec init DIR` to create an organization folder."
_TOML_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_org(root: Path) -> OrgConfig:
    """Load ``ROOT/caresec.toml``.

    Args:
        root: the organization folder.

    Returns:
        The :class:`OrgConfig`, with ``root`` made absolute and the ``[paths]`` folders resolved
        against it (defaults ``inventory``, ``sboms``, ``feeds``). ``settings`` keeps the
        ``[settings]`` table as ``(key, str(value))`` pairs in file order (booleans as
        ``true``/``false``). The folders are not required to exist here; the collectors report
        a missing one.

    Raises:
        ConfigError: the folder or file is missing, the file is not UTF-8 or not valid TOML
            (line and column named), ``[organization]`` lacks ``name`` or ``size_tier``,
            ``size_tier`` is not ``small``/``medium``/``large``, a ``[paths]`` value is not a
            string, or a key or table is unknown. Each message names the file and the key.
    """
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise ConfigError(f"organization folder {root} does not exist.", hint=_INIT_HINT)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise ConfigError(f"{config_path} not found: {root} is not a caresec organization folder.",
                          hint=_INIT_HINT)
    data = _read_toml(config_path)

    unknown_tables = [k for k in data if k not in (*_TABLES, *CAPABILITY_TABLES)]
    if unknown_tables:
        raise ConfigError(
            f"{config_path}: unknown key or table {', '.join(map(repr, unknown_tables))}; "
            f"the known tables are [organization], [paths], [settings] and the "
            f"capability tables [{'], ['.join(CAPABILITY_TABLES)}].",
            hint="Put tool options under [settings].",
        )

    org = _table(data, "organization", config_path, required=True)
    _reject_unknown(org, _ORG_KEYS, "organization", config_path)
    name = org.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"{config_path}: [organization] name is missing or empty.",
            hint='Add a line such as: name = "Riverside Community Hospital".',
        )
    tier_value = org.get("size_tier")
    tiers = ", ".join(t.value for t in SizeTier)
    if not isinstance(tier_value, str) or tier_value.strip().lower() not in set(SizeTier):
        shown = "missing" if tier_value is None else f"{tier_value!r}, which is not valid"
        raise ConfigError(
            f"{config_path}: [organization] size_tier is {shown}; use one of {tiers} "
            f"(HHS 405(d) HICP organization sizes).",
            hint='Add a line such as: size_tier = "medium".',
        )
    size_tier = SizeTier(tier_value.strip().lower())

    paths_table = _table(data, "paths", config_path, required=False)
    _reject_unknown(paths_table, tuple(DEFAULT_PATHS), "paths", config_path)
    folders: dict[str, Path] = {}
    for key, default in DEFAULT_PATHS.items():
        value = paths_table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{config_path}: [paths] {key} must be a non-empty string (a folder relative to "
                f"{root}); found {value!r}.",
                hint=f'Write for example: {key} = "{default}".',
            )
        folders[key] = root / Path(value.strip()).expanduser()

    settings_table = _table(data, "settings", config_path, required=False)
    settings = tuple((str(k), _setting_text(v)) for k, v in settings_table.items())

    return OrgConfig(
        root=root,
        name=name.strip(),
        size_tier=size_tier,
        inventory_dir=folders["inventory"],
        sbom_dir=folders["sboms"],
        feeds_dir=folders["feeds"],
        settings=settings,
        sections=tuple(
            (name, _section(data, name, config_path)) for name in CAPABILITY_TABLES if name in data
        ),
    )


def _read_toml(config_path: Path) -> dict[str, Any]:
    try:
        raw = config_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{config_path} cannot be read: {exc.strerror}.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{config_path} is not valid UTF-8 (byte {exc.start}).", hint="Save it as UTF-8."
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_PLACE.search(message)
        where = f" at line {match[1]}, column {match[2]}" if match else ""
        reason = _TOML_PLACE.sub("", message).strip()
        raise ConfigError(
            f"{config_path} is not valid TOML{where}: {reason}.",
            hint="See docs/org-folder.md for the expected keys.",
        ) from exc


def _table(data: dict[str, Any], key: str, config_path: Path, *, required: bool) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise ConfigError(
                f"{config_path}: the [{key}] table is missing.",
                hint='It needs name = "…" and size_tier = "small" | "medium" | "large".',
            )
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{config_path}: {key} must be a table ([{key}]), not a value.")
    return value


def _section(data: dict[str, Any], name: str, config_path: Path) -> str:
    table = _table(data, name, config_path, required=False)
    return json.dumps(table, default=str, sort_keys=True)


def _reject_unknown(table: dict[str, Any], known: tuple[str, ...], name: str, path: Path) -> None:
    unknown = [k for k in table if k not in known]
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {', '.join(map(repr, unknown))} in [{name}]; "
            f"the known keys are {', '.join(known)}.",
            hint="Check the spelling; tool options go under [settings].",
        )


def _setting_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
