"""Write a new, empty organization folder (``caresec init DIR``).

The folder holds a commented ``caresec.toml``, an inventory with the header row and one example
row (asset id ``EXAMPLE-1``, to be replaced), and README files saying what goes in
``inventory/``, ``sboms/`` and ``feeds/``. It loads with :func:`caresec.collect.org.load_org` and
:func:`caresec.collect.inventory.collect_inventory` without problems. The layout is documented in
``docs/org-folder.md``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from caresec.collect.inventory import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from caresec.collect.org import CONFIG_FILE
from caresec.errors import ConfigError
from caresec.model import SizeTier

_TOML = """\
# caresec organization file. Full reference: docs/org-folder.md in the caresec sources.

[organization]
# The organization's name, as it should appear on reports.
name = {name}
# Size tier as HHS 405(d) "Health Industry Cybersecurity Practices" (HICP) sorts organizations:
# "small", "medium" or "large".
size_tier = "{tier}"

[paths]
# Folders, relative to this file's folder. These are the defaults.
# inventory: asset inventory, *.csv and *.xlsx files (see inventory/README.md).
inventory = "inventory"
# sboms: software bills of materials, CycloneDX or SPDX (see sboms/README.md).
sboms = "sboms"
# feeds: advisory feeds used offline - OSV, CISA KEV, FIRST EPSS (see feeds/README.md).
feeds = "feeds"

[settings]
# Free options for caresec commands, kept as text. For example:
# fail_on = "high"    # make `caresec audit` exit 1 when a risk of this level or above is found

# PHI discovery (docs/phi.md). To have `caresec audit` scan where ePHI lives, list the data
# sources in phi-sources.csv (header: location,asset_id,owner; a location is a file or folder
# relative to this folder, or a database URL such as postgresql://reader@db-host/ehr) and
# uncomment the table below (a phi-sources.csv alone also turns it on, with these defaults).
# [phi]
# sources = "phi-sources.csv"
# mrn_patterns = ['MRN\\d{{8}}']      # your medical record number formats, as regular expressions
# sample_rows = 1000                # rows sampled per database table
"""

_EXAMPLE_ROW = {
    "asset_id": "EXAMPLE-1",
    "name": "EXAMPLE - replace this row: ICU infusion pump fleet",
    "kind": "medical device",
    "holds_ephi": "yes",
    "criticality": "life-sustaining",
    "vendor": "Example Medical",
    "model": "IP-200",
    "version": "3.2.1",
    "department": "ICU",
    "location": "Building A, floor 3",
    "owner": "Clinical Engineering",
    "ip": "10.20.30.0/24",
    "network_zone": "medical-device",
    "internet_facing": "no",
    "ephi_records": "0",
    "end_of_support": "2027-12-31",
    "sbom": "",
}

_INVENTORY_README = """\
# Inventory

Put the asset inventory here as one or more `.csv` (UTF-8) or `.xlsx` files (first sheet is
read). The first row names the columns; names are case-insensitive and spaces or hyphens count as
underscores (`Asset ID` = `asset_id`). Every file is read, in name order. `assets.csv` holds one
example row, `EXAMPLE-1`: replace it with your own assets.

## Required columns

* `asset_id` - your identifier, unique across all files (e.g. `PUMP-ICU-01`).
* `name` - human name.
* `kind` - server, workstation, medical device, IoT, application, data store, cloud service,
  vendor, network device. Also accepted: saas/paas/iaas/cloud (cloud service), database
  (data store), laptop/desktop (workstation), app/software (application), router/switch/
  firewall (network device), business associate/supplier (vendor), medical (medical device).
* `holds_ephi` - whether it creates, receives, maintains or transmits ePHI
  (45 CFR 164.306(a)): yes/no (also true/false, y/n, 1/0).
* `criticality` - life-sustaining, patient-connected, diagnostic, clinical support, business.

## Optional columns

* `vendor`, `model`, `version` - product identity (in Excel, type versions as text).
* `department`, `location`, `owner` - who and where.
* `ip` - address or network (`10.1.2.3`, `10.1.2.0/24`), several separated by `;`.
* `network_zone` - internet, dmz, clinical, medical-device, corporate, guest, management,
  isolated, cloud.
* `internet_facing` - reachable from the internet: yes/no.
* `ephi_records` - approximate number of individuals' records held (whole number).
* `end_of_support` - date the vendor stops security updates, `YYYY-MM-DD`.
* `sbom` - SBOM file(s) describing its software: paths relative to the `sboms` folder,
  separated by `;`.

Any other column is kept as extra information and shown with the asset.

Problems are reported as `file (row N, column X)` where row 1 is the header. A row with a missing
or invalid required value is skipped; an invalid optional value is ignored with a warning.
Do not put patient information in the inventory.
"""

_SBOMS_README = """\
# SBOMs

Put software bills of materials here, in any sub-folder:

* CycloneDX 1.2-1.6, JSON or XML (`.json`, `.cdx.json`, `.xml`);
* SPDX 2.2 or 2.3, JSON (`.spdx.json`) or tag-value (`.spdx`).

The format is recognized from the content. Link an SBOM to the assets that run it with the
inventory's `sbom` column, giving its path relative to this folder (e.g. `pumps/ip-200.cdx.json`).
Ask medical-device manufacturers for the SBOM of each device model and version: FDA expects one
in premarket submissions for cyber devices (FD&C Act section 524B).
"""

_FEEDS_README = """\
# Advisory feeds

caresec matches components against advisory data kept here; an audit never needs the network.
`caresec feeds update --org DIR` downloads them into this folder; you may also place them by hand:

* `osv/` - OSV advisories: `.json`, `.yaml` or `.yml` files (in any sub-folder), and ecosystem
  archives such as the OSV data dump's `<Ecosystem>/all.zip` (or a `.tar.gz` of advisory files).
* `kev.json` - the CISA Known Exploited Vulnerabilities catalog
  (`known_exploited_vulnerabilities.json`).
* `epss.csv` - the FIRST EPSS daily scores CSV (`epss.csv.gz`, still compressed, works too).

Refresh them regularly; reports state which feed versions were used.
"""


def write_org_skeleton(root: Path, *, name: str, size_tier: SizeTier) -> list[Path]:
    """Create an organization folder at ``root`` (created when missing).

    Args:
        root: the folder.
        name: organization name (any text; written as a TOML string).
        size_tier: HHS 405(d) HICP size tier.

    Returns:
        The files written: ``caresec.toml``, ``inventory/assets.csv``, ``inventory/README.md``,
        ``sboms/README.md``, ``feeds/README.md``.

    Raises:
        ConfigError: ``name`` is empty, ``root`` is a file, or any of these files already exists
            (nothing is written then: existing files are never overwritten).
    """
    if not name.strip():
        raise ConfigError("the organization name is empty.", hint="Give a name with --name.")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a folder.")
    header = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
    contents = {
        root / CONFIG_FILE: _TOML.format(name=_toml_string(name.strip()), tier=size_tier.value),
        root / "inventory" / "assets.csv": _csv_text([header, [_EXAMPLE_ROW[c] for c in header]]),
        root / "inventory" / "README.md": _INVENTORY_README,
        root / "sboms" / "README.md": _SBOMS_README,
        root / "feeds" / "README.md": _FEEDS_README,
    }
    existing = [path for path in contents if path.exists()]
    if existing:
        shown = ", ".join(str(p) for p in existing)
        raise ConfigError(f"refusing to overwrite existing file(s): {shown}.",
                          hint="Choose an empty folder, or move these files away first.")
    written: list[Path] = []
    for path, text in contents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="") as handle:
            handle.write(text)
        written.append(path)
    return written


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON string escapes are valid TOML escapes (TOML 1.0 §String);
    DEL, which JSON leaves bare but TOML forbids, is escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _csv_text(rows: list[list[str]]) -> str:
    """RFC 4180 CSV text (CRLF line ends) for ``rows``."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
