"""MISP warninglists applied to indicator values (../shared/data/intel/misp-warninglists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caresec.intel.warninglists import load_warninglists
from caresec.model.intel import IndicatorKind as K


@pytest.fixture
def lists(shared_data: Path):  # type: ignore[no-untyped-def]
    found, problems = load_warninglists(shared_data / "intel" / "misp-warninglists")
    assert problems == []
    return found


@pytest.mark.parametrize(("kind", "value", "listed"), [
    # the OASIS example C2 indicator 10.0.0.0 is an RFC 1918 address
    (K.IPV4, "10.0.0.0", ("List of RFC 1918 CIDR blocks", "10.0.0.0/8")),
    (K.IPV4, "172.16.4.0/24", ("List of RFC 1918 CIDR blocks", "172.16.0.0/12")),
    (K.IPV4, "8.8.8.8", ("List of known IPv4 public DNS resolvers", "8.8.8.8")),
    (K.IPV6, "fe80::1", ("List of IPv6 link local blocks", "FE80::/10")),
    # leading-dot entry: subdomains only (".3322.org" lists js001.3322.org from poisonivy.json)
    (K.DOMAIN, "js001.3322.org", ("List of known dynamic DNS domains", ".3322.org")),
    (K.URL, "https://bit.ly/3abc", ("List of known URL Shorteners domains", "bit.ly")),
    (K.MD5, "44d88612fea8a8f36de82e1278abb02f", ("List of hashes for EICAR test virus",
                                                 "44d88612fea8a8f36de82e1278abb02f")),
])
def test_listed(lists, kind: K, value: str, listed: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert lists.check(kind, value) == listed


@pytest.mark.parametrize(("kind", "value"), [
    (K.IPV4, "11.0.0.1"),
    (K.IPV4, "9.0.0.0/7"),  # wider than any listed network
    (K.DOMAIN, "3322.org"),  # the entry is ".3322.org": subdomains only
    (K.DOMAIN, "hugesoft.org"),
    (K.MD5, "001dd76872d80801692ff942308c64e6"),
    (K.EMAIL, "8.8.8.8@example.org"),  # cidr lists do not apply to e-mail addresses
])
def test_not_listed(lists, kind: K, value: str) -> None:  # type: ignore[no-untyped-def]
    assert lists.check(kind, value) is None


def test_selection_and_bad_lists(tmp_path: Path) -> None:
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "list.json").write_text(json.dumps(
        {"name": "odd", "type": "glob", "list": ["x"], "description": "", "version": 1}))
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "list.json").write_text(json.dumps(
        {"name": "nets", "type": "cidr", "list": ["192.0.2.0/24", "not-a-net"],
         "description": "", "version": 1, "matching_attributes": ["ip-dst"]}))
    found, problems = load_warninglists(tmp_path, ["nets", "odd", "absent"])
    messages = sorted((Path(p.file).parent.name, p.place, p.message[:30]) for p in problems)
    assert messages == [("absent", "", "warninglist not found; not app"),
                        ("nets", "/list/1", "entry 'not-a-net' skipped: 'no"),
                        ("odd", "/type", "unknown warninglist type 'glob")]
    assert found.check(K.IPV4, "192.0.2.7") == ("nets", "192.0.2.0/24")
    assert found.check(K.DOMAIN, "192.0.2.7") is None  # matching_attributes: ip-dst only
