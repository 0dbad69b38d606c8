"""The [intel] table of caresec.toml (read by caresec.intel.config, see docs/intel.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.errors import ConfigError
from caresec.intel.config import load_intel_config
from caresec.model.intel import Tlp

HEAD = '[organization]\nname = "Riverside Community Hospital"\nsize_tier = "medium"\n'


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "caresec.toml").write_text(HEAD + body)
    return tmp_path


def test_defaults_without_intel_table(tmp_path: Path) -> None:
    config = load_intel_config(write(tmp_path, ""))
    assert config.org_name == "Riverside Community Hospital"
    assert (config.policy.default_tlp, config.policy.export_tlp, config.policy.max_share) == (
        Tlp.AMBER, Tlp.GREEN, Tlp.AMBER)
    assert config.sources == () and config.push is None and config.warninglists is None


def test_full_table(tmp_path: Path) -> None:
    config = load_intel_config(write(tmp_path, """
[intel]
default_tlp = "TLP:AMBER+STRICT"
export_tlp = "clear"
max_share_tlp = "green"
mapping = "intel/logs/mapping.toml"
logs = ["intel/logs"]
warninglists = ["rfc1918"]
max_bundle_mb = 8

[[intel.sources]]
name = "isac"
kind = "taxii"
url = "https://taxii.example/taxii2/"
collection = "indicators"
tlp = "green"
page_size = 500

[[intel.sources]]
name = "digitalside"
kind = "misp"
path = "feeds/misp"
"""))
    assert config.policy.default_tlp is Tlp.AMBER_STRICT
    assert [s.name for s in config.sources] == ["isac", "digitalside"]
    assert config.sources[0].page_size == 500 and config.sources[0].tlp is Tlp.GREEN
    assert config.sources[1].path == config.root / "feeds" / "misp"
    assert config.source_tlp() == {"isac": Tlp.GREEN, "digitalside": Tlp.AMBER_STRICT,
                                   "own": Tlp.CLEAR}
    assert config.max_bundle_bytes == 8 * 1024 * 1024
    assert config.logs == (config.root / "intel" / "logs",)


@pytest.mark.parametrize(("body", "message"), [
    ('[intel]\ncolour = "x"\n', "unknown key 'colour' in [intel]"),
    ('[intel]\ndefault_tlp = "orange"\n', "default_tlp: 'orange' is not a TLP label"),
    ('[intel]\nmax_share_tlp = "red"\n', "cannot be red"),
    ('[[intel.sources]]\nname = "a"\nkind = "taxii"\n', "[[intel.sources]] a needs url"),
    ('[[intel.sources]]\nname = "a"\nkind = "ftp"\n', "kind is 'ftp'"),
    ('[[intel.sources]]\nname = "a"\nkind = "stix"\n', "needs path"),
    ('[[intel.sources]]\nname = "own"\nkind = "stix"\npath = "x"\n', "reserved"),
    ('[intel]\nmax_bundle_mb = 0\n', "max_bundle_mb must be a positive number"),
    ('[intel]\nhosts = "RCH-WS-*"\n', "[intel.hosts] must be a table"),
    ('[intel.hosts]\n"RCH-WS-*" = 7\n', "[intel.hosts] RCH-WS-* must be an inventory asset id"),
    ('[intel.hosts]\n"10.20.0.0/33" = "WS"\n', "[intel.hosts] 10.20.0.0/33 is not a network"),
])
def test_errors_name_the_key(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_intel_config(write(tmp_path, body))
    assert message in str(caught.value)
    assert "caresec.toml" in str(caught.value)


def test_credentials_come_from_the_environment(tmp_path: Path) -> None:
    config = load_intel_config(write(tmp_path, """
[[intel.sources]]
name = "isac"
kind = "taxii"
url = "https://taxii.example/taxii2/"
collection = "c"
username_env = "ISAC_USER"
password_env = "ISAC_PASSWORD"
"""))
    endpoint = config.sources[0].endpoint({"ISAC_USER": "u", "ISAC_PASSWORD": "p"})
    assert (endpoint.username, endpoint.password) == ("u", "p")
    assert "password" not in repr(endpoint)  # never printed
    with pytest.raises(ConfigError, match="ISAC_PASSWORD is not set"):
        config.sources[0].endpoint({"ISAC_USER": "u"})


def test_hosts_rules(tmp_path: Path) -> None:
    config = load_intel_config(write(tmp_path, """
[intel.hosts]
"RCH-WS-BILL*" = "WS-DEPT-FLEET"
"10.20.0.0/21" = " WS-DEPT-FLEET "
"""))
    assert sorted(config.hosts) == [("10.20.0.0/21", "WS-DEPT-FLEET"),
                                    ("RCH-WS-BILL*", "WS-DEPT-FLEET")]


def test_the_file_is_read_by_load_org(tmp_path: Path) -> None:
    # one way to read caresec.toml: a table caresec does not know is refused there
    with pytest.raises(ConfigError, match="unknown key or table 'colour'"):
        load_intel_config(write(tmp_path, '[colour]\nx = 1\n'))
