"""The ``[intel]`` table of ``caresec.toml``: sources, TLP policy, logs and sharing.

The file is read once, by :func:`caresec.collect.org.load_org` (TOML 1.0); this module
validates its ``[intel]`` table (:meth:`~caresec.model.OrgConfig.section`). Keys are documented
in ``docs/intel.md``. Paths are relative to the organization folder. Credentials are never
written in the file: a source names the environment variables that hold them
(``username_env``, ``password_env``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caresec.collect.org import CONFIG_FILE, load_org
from caresec.errors import ConfigError
from caresec.intel.taxii import DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT, TaxiiEndpoint
from caresec.intel.tlp import TlpPolicy, parse_tlp
from caresec.model.intel import Tlp
from caresec.model.org import OrgConfig

SOURCE_KINDS = ("taxii", "stix", "misp")
_INTEL_KEYS = ("default_tlp", "export_tlp", "max_share_tlp", "warninglists_dir", "warninglists",
               "mapping", "logs", "own_indicators", "incidents", "max_bundle_mb",
               "identity_name", "hosts", "sources", "push")
_SOURCE_KEYS = ("name", "kind", "url", "collection", "api_root", "path", "username_env",
                "password_env", "tlp", "page_size", "timeout", "verify_tls")
_PUSH_KEYS = ("url", "collection", "api_root", "username_env", "password_env", "timeout",
              "verify_tls")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One ``[[intel.sources]]`` entry.

    Attributes:
        name: unique source name (shown on every indicator).
        kind: ``taxii``, ``stix`` (a bundle file or a folder of ``*.json`` bundles) or
            ``misp`` (a MISP feed folder).
        url, collection, api_root: for ``taxii``.
        path: for ``stix`` and ``misp``, resolved against the organization folder.
        username_env, password_env: environment variables holding the credentials.
        tlp: TLP for this source's objects that carry no TLP marking (None = the policy's
            ``default_tlp``).
        page_size, timeout, verify_tls: TAXII paging and HTTP settings.
    """

    name: str
    kind: str
    url: str = ""
    collection: str = ""
    api_root: str = ""
    path: Path | None = None
    username_env: str = ""
    password_env: str = ""
    tlp: Tlp | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = DEFAULT_TIMEOUT
    verify_tls: bool = True

    def endpoint(self, env: Mapping[str, str] | None = None) -> TaxiiEndpoint:
        """The TAXII endpoint, credentials taken from the environment."""
        return _endpoint(self.url, self.collection, self.api_root, self.username_env,
                         self.password_env, self.page_size, self.timeout, self.verify_tls,
                         env, f"[[intel.sources]] {self.name}")


@dataclass(frozen=True, slots=True)
class PushConfig:
    """``[intel.push]``: the TAXII 2.1 collection the organization publishes to."""

    url: str
    collection: str
    api_root: str = ""
    username_env: str = ""
    password_env: str = ""
    timeout: float = DEFAULT_TIMEOUT
    verify_tls: bool = True

    def endpoint(self, env: Mapping[str, str] | None = None) -> TaxiiEndpoint:
        """The TAXII endpoint, credentials taken from the environment."""
        return _endpoint(self.url, self.collection, self.api_root, self.username_env,
                         self.password_env, DEFAULT_PAGE_SIZE, self.timeout, self.verify_tls,
                         env, "[intel.push]")


@dataclass(frozen=True, slots=True)
class IntelConfig:
    """The whole ``[intel]`` table, paths resolved.

    Attributes:
        root: the organization folder.
        org_name: ``[organization] name`` (the identity shared with exports unless
            ``identity_name`` is set).
        policy: the :class:`TlpPolicy`.
        sources: the sources, in file order.
        push: where ``caresec intel push`` publishes (None when not configured).
        warninglists_dir: the misp-warninglists ``lists`` folder (None = no suppression).
        warninglists: list folder names to enable (None = all in the folder).
        mapping: the log column-mapping file (None when not configured).
        logs: log files or folders matched by default.
        own_indicators: the organization's own STIX bundle (None when not configured).
        incidents: the de-identified incident summaries file (None when not configured).
        max_bundle_bytes: bundles and pages above this are refused.
        hosts: ``[intel.hosts]``: ``(pattern, asset id)`` pairs naming the inventory asset of
            log hosts and addresses the inventory does not list by name or IP: a pattern is
            an address, a network (CIDR) or a host-name glob (``RCH-WS-*``, case-insensitive).
            Every rule that matches applies (keys are unordered in TOML).
    """

    root: Path
    org_name: str
    policy: TlpPolicy = field(default_factory=TlpPolicy)
    sources: tuple[SourceConfig, ...] = ()
    push: PushConfig | None = None
    warninglists_dir: Path | None = None
    warninglists: tuple[str, ...] | None = None
    mapping: Path | None = None
    logs: tuple[Path, ...] = ()
    own_indicators: Path | None = None
    incidents: Path | None = None
    max_bundle_bytes: int = 256 * 1024 * 1024
    hosts: tuple[tuple[str, str], ...] = ()

    def source_tlp(self) -> dict[str, Tlp]:
        """Source name → TLP for its unmarked objects."""
        found = {s.name: s.tlp or self.policy.default_tlp for s in self.sources}
        found.setdefault("own", self.policy.export_tlp)
        return found


def _endpoint(url: str, collection: str, api_root: str, user_env: str, pass_env: str,
              page_size: int, timeout: float, verify: bool, env: Mapping[str, str] | None,
              where: str) -> TaxiiEndpoint:
    environ = os.environ if env is None else env
    user = environ.get(user_env, "") if user_env else ""
    password = environ.get(pass_env, "") if pass_env else ""
    missing = [n for n, v in ((user_env, user), (pass_env, password)) if n and not v]
    if missing:
        raise ConfigError(f"{where}: the environment variable {', '.join(missing)} is not set.",
                          hint="Export the TAXII credentials before running caresec.")
    return TaxiiEndpoint(url=url, collection=collection, api_root=api_root, username=user,
                         password=password, page_size=page_size, timeout=timeout,
                         verify_tls=verify)


def load_intel_config(root: Path) -> IntelConfig:
    """Read ``ROOT/caresec.toml`` (:func:`~caresec.collect.org.load_org`) and validate its
    ``[intel]`` table (:func:`intel_config`; absent = defaults).

    Raises:
        ConfigError: as :func:`~caresec.collect.org.load_org` (missing or invalid file) and as
            :func:`intel_config`.
    """
    return intel_config(load_org(root))


def intel_config(org: OrgConfig) -> IntelConfig:
    """The ``[intel]`` table of an organization (``org.section("intel")``), validated, with
    paths resolved against ``org.root`` (keys: docs/intel.md).

    Raises:
        ConfigError: a key is unknown or of the wrong type, a TLP value is not a TLP label, a
            source has no name, a duplicate name, an unknown kind, or lacks ``url``/
            ``collection`` (taxii) or ``path`` (stix, misp), an ``[intel.hosts]`` key is
            empty or its value is not an asset id. Each message names the file and the key.
    """
    root = org.root
    path = root / CONFIG_FILE
    org_name = org.name
    table = org.section("intel")
    reader = _Reader(path, "[intel]", table, _INTEL_KEYS)
    try:
        policy = TlpPolicy(
            default_tlp=reader.tlp("default_tlp", Tlp.AMBER),
            export_tlp=reader.tlp("export_tlp", Tlp.GREEN),
            max_share=reader.tlp("max_share_tlp", Tlp.AMBER),
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from exc
    sources = tuple(_source(path, root, i, s) for i, s in enumerate(reader.tables("sources")))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1} | ({"own"} & set(names)))
    if duplicates:
        raise ConfigError(f"{path}: [[intel.sources]] name {', '.join(duplicates)} is used "
                          f"twice or is reserved (own = the organization's indicators).")
    push_table = table.get("push")
    push = None
    if push_table is not None:
        if not isinstance(push_table, dict):
            raise ConfigError(f"{path}: [intel.push] must be a table.")
        p = _Reader(path, "[intel.push]", push_table, _PUSH_KEYS)
        push = PushConfig(url=p.text("url", required=True),
                          collection=p.text("collection", required=True),
                          api_root=p.text("api_root"), username_env=p.text("username_env"),
                          password_env=p.text("password_env"),
                          timeout=p.number("timeout", DEFAULT_TIMEOUT),
                          verify_tls=p.flag("verify_tls", True))
    names_list = reader.texts("warninglists")
    return IntelConfig(
        root=root,
        org_name=reader.text("identity_name") or org_name,
        policy=policy,
        sources=sources,
        push=push,
        warninglists_dir=reader.path("warninglists_dir", root),
        warninglists=tuple(names_list) if "warninglists" in table else None,
        mapping=reader.path("mapping", root),
        logs=tuple(root / p for p in reader.texts("logs")),
        own_indicators=reader.path("own_indicators", root),
        incidents=reader.path("incidents", root),
        max_bundle_bytes=int(reader.number("max_bundle_mb", 256) * 1024 * 1024),
        hosts=_hosts(path, table.get("hosts", {})),
    )


def _hosts(path: Path, value: object) -> tuple[tuple[str, str], ...]:
    """``[intel.hosts]``: pattern → inventory asset id (see :class:`IntelConfig`)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [intel.hosts] must be a table (\"pattern\" = \"ASSET-ID\").")
    rules: list[tuple[str, str]] = []
    for pattern, asset_id in value.items():
        key = str(pattern).strip()
        if not key:
            raise ConfigError(f"{path}: [intel.hosts] has an empty key; use a host name, glob, "
                              f"address or network.")
        if not isinstance(asset_id, str) or not asset_id.strip():
            raise ConfigError(f"{path}: [intel.hosts] {key} must be an inventory asset id "
                              f"(text); found {asset_id!r}.")
        if "/" in key:
            try:
                ipaddress.ip_network(key, strict=False)
            except ValueError as exc:
                raise ConfigError(f"{path}: [intel.hosts] {key} is not a network: {exc}.") \
                    from exc
        rules.append((key, asset_id.strip()))
    return tuple(rules)


def _source(path: Path, root: Path, index: int, table: dict[str, Any]) -> SourceConfig:
    where = f"[[intel.sources]] #{index + 1}"
    reader = _Reader(path, where, table, _SOURCE_KEYS)
    name = reader.text("name", required=True)
    where = f"[[intel.sources]] {name}"
    reader.where = where
    kind = reader.text("kind", required=True).lower()
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{path}: {where} kind is {kind!r}; use one of "
                          f"{', '.join(SOURCE_KINDS)}.")
    url = reader.text("url", required=kind == "taxii")
    collection = reader.text("collection", required=kind == "taxii")
    source_path = reader.path("path", root)
    if kind != "taxii" and source_path is None:
        raise ConfigError(f"{path}: {where} needs path (a file or folder, relative to {root}).")
    tlp_text = reader.text("tlp")
    return SourceConfig(
        name=name, kind=kind, url=url, collection=collection, api_root=reader.text("api_root"),
        path=source_path, username_env=reader.text("username_env"),
        password_env=reader.text("password_env"),
        tlp=reader.tlp("tlp", Tlp.AMBER) if tlp_text else None,
        page_size=int(reader.number("page_size", DEFAULT_PAGE_SIZE)),
        timeout=reader.number("timeout", DEFAULT_TIMEOUT),
        verify_tls=reader.flag("verify_tls", True),
    )


class _Reader:
    """Typed access to one TOML table, with messages naming file, table and key."""

    def __init__(self, path: Path, where: str, table: dict[str, Any],
                 known: tuple[str, ...]) -> None:
        self.file, self.where, self.table = path, where, table
        unknown = [k for k in table if k not in known]
        if unknown:
            raise ConfigError(f"{path}: unknown key {', '.join(map(repr, unknown))} in {where};"
                              f" the known keys are {', '.join(known)}.")

    def _fail(self, key: str, wanted: str, value: object) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where} {key} must be {wanted}; found {value!r}.")

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.table.get(key, "")
        if not isinstance(value, str):
            raise self._fail(key, "text", value)
        if required and not value.strip():
            raise ConfigError(f"{self.file}: {self.where} needs {key}.")
        return value.strip()

    def texts(self, key: str) -> list[str]:
        value = self.table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of text", value)
        return [v.strip() for v in value if v.strip()]

    def number(self, key: str, default: float) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self._fail(key, "a positive number", value)
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false", value)
        return value

    def tlp(self, key: str, default: Tlp) -> Tlp:
        value = self.table.get(key)
        if value is None:
            return default
        try:
            return parse_tlp(str(value))
        except ValueError as exc:
            raise ConfigError(f"{self.file}: {self.where} {key}: {exc}.") from exc

    def path(self, key: str, root: Path) -> Path | None:
        value = self.text(key)
        return (root / Path(value).expanduser()) if value else None

    def tables(self, key: str) -> list[dict[str, Any]]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._fail(key, "an array of tables ([[intel.sources]])", value)
        return value
