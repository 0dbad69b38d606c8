"""Log matching: exact sets, domain suffixes, CIDR intervals, stix2-matcher patterns.

Logs: tests/fixtures/intel/logs (hand-written, one planted case per row; see mapping.toml).
Addresses are from the RFC 5737/3849 documentation ranges, names under RFC 2606 ``.example``.
"""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caresec.intel.logs import load_mapping
from caresec.intel.matcher import IndicatorIndex, _Intervals, match_logs
from caresec.intel.patterns import decompose
from caresec.intel.warninglists import load_warninglists
from caresec.model.intel import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    PatternIndicator,
    PatternSupport,
    Tlp,
)

K = IndicatorKind
DROPPER = "f92b6cbf188a46dfdba3f8e11421bb68f5c11c29cce6e61429fc65f59d044af3"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"  # MD5 of zero bytes (RFC 1321 test suite)
FROM = datetime(2026, 1, 1, tzinfo=UTC)


def ind(name: str, kind: IndicatorKind, value: str, tlp: Tlp = Tlp.GREEN,
        confidence: int | None = 80) -> Indicator:
    return Indicator(indicator_id=f"indicator--{name}", kind=kind, value=value, source="isac",
                     tlp=tlp, confidence=confidence, valid_from=FROM)


INDICATORS = (
    ind("a", K.IPV4, "203.0.113.9"),
    ind("b", K.IPV4, "198.51.100.0/24"),
    ind("c", K.IPV4, "198.51.100.16/28", tlp=Tlp.AMBER),
    ind("d", K.DOMAIN, "evil.example"),
    ind("e", K.URL, "http://files.evil.example/drop.zip"),
    ind("f", K.URL, "https://bit.ly/3abc"),
    ind("g", K.SHA256, DROPPER),
    ind("h", K.MD5, EMPTY_MD5),
    ind("i", K.EMAIL, "phisher@evil.example"),
    ind("j", K.IPV6, "2001:db8::66"),
    ind("k", K.IPV4, "8.8.8.8"),
)
EXFIL = "[network-traffic:dst_ref.value = '192.0.2.1' AND network-traffic:dst_port = 8443]"


def pattern(name: str, text: str) -> PatternIndicator:
    parts = decompose(text)
    assert parts.support is not None
    return PatternIndicator(indicator_id=f"indicator--{name}", pattern=text, pattern_type="stix",
                            source="isac", tlp=Tlp.GREEN, support=parts.support,
                            reason=parts.reason, object_types=parts.object_types,
                            candidates=parts.candidates, valid_from=FROM)


PATTERNS = (
    pattern("p", EXFIL),
    pattern("q", "[x509-certificate:issuer = 'CN=WEBMAIL']"),
    pattern("r", "[ipv4-addr:value = '203.0.113.9'] REPEATS 5 TIMES"),
    pattern("s", "[domain-name:value MATCHES '^a\\\\.b\\\\.']"),
)


@pytest.fixture
def result(fixtures: Path, shared_data: Path):  # type: ignore[no-untyped-def]
    logs = fixtures / "intel" / "logs"
    lists, problems = load_warninglists(shared_data / "intel" / "misp-warninglists",
                                        ["public-dns-v4", "url-shortener", "empty-hashes"])
    assert problems == []
    mapping = load_mapping(logs / "mapping.toml")
    return match_logs(IndicatorSet(INDICATORS, PATTERNS), [logs], mapping, lists)


def _hits(result, name: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(Path(h.file).name, h.place, h.observed) for h in result.hits
            if h.indicator.indicator_id == f"indicator--{name}"]


@pytest.mark.parametrize(("name", "expected"), [
    # exact address, CSV row numbers (header = row 1) and a DNS answer list element
    ("a", [("firewall.sample.csv", "row 2", "203.0.113.9"),
           ("firewall.sample.csv", "row 9", "203.0.113.9"),
           ("dns.sample.jsonl", "line 4", "203.0.113.9")]),
    # overlapping networks: 198.51.100.20 is in the /24 and in the /28; .200 only in the /24
    ("b", [("firewall.sample.csv", "row 3", "198.51.100.20"),
           ("firewall.sample.csv", "row 4", "198.51.100.200")]),
    ("c", [("firewall.sample.csv", "row 3", "198.51.100.20")]),
    # domain and subdomains (trailing dot, upper case), a URL host, an e-mail domain;
    # notevil.example (line 2) is not a subdomain of evil.example
    ("d", [("dns.sample.jsonl", "line 1", "a.b.evil.example"),
           ("dns.sample.jsonl", "line 4", "evil.example"),
           ("mail.sample.csv", "row 2", "evil.example"),
           ("proxy.sample.csv", "row 2", "files.evil.example")]),
    # URL after RFC 3986 normalization (case, default port, fragment)
    ("e", [("proxy.sample.csv", "row 2", "http://files.evil.example/drop.zip")]),
    ("g", [("edr.sample.jsonl", "line 1", DROPPER)]),
    ("i", [("mail.sample.csv", "row 2", "phisher@evil.example")]),
    # IPv6 written in full in the log, canonical (RFC 5952) in the indicator
    ("j", [("firewall.sample.csv", "row 7", "2001:db8::66")]),
    # stix2-matcher: port 8443 matches (row 5), port 443 does not (row 6)
    ("p", [("firewall.sample.csv", "row 5", "192.0.2.1")]),
    ("s", [("dns.sample.jsonl", "line 1", "")]),
    # suppressed by warninglists: never hits
    ("f", []), ("h", []), ("k", []),
])
def test_hits(result, name: str, expected: list[tuple[str, str, str]]) -> None:  # type: ignore[no-untyped-def]
    assert sorted(_hits(result, name)) == sorted(expected)


def test_sightings_exclude_lines_outside_validity(result) -> None:  # type: ignore[no-untyped-def]
    counts = {s.indicator_id.removeprefix("indicator--"): s.count for s in result.sightings}
    # indicator a: row 9 is dated 2025-12-01, before valid_from 2026-01-01
    assert counts == {"a": 2, "b": 2, "c": 1, "d": 4, "e": 1, "g": 1, "i": 1, "j": 1, "p": 1,
                      "s": 1}
    outside = [h for h in result.hits if h.validity == "outside validity window"]
    assert [(h.indicator.indicator_id, h.place) for h in outside] == [("indicator--a", "row 9")]
    a = next(s for s in result.sightings if s.indicator_id == "indicator--a")
    assert a.first_seen == datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    assert a.last_seen == datetime(2026, 3, 1, 11, 0, 2, tzinfo=UTC)
    assert a.tlp is Tlp.GREEN


def test_suppressed_hits_are_counted_and_named(result) -> None:  # type: ignore[no-untyped-def]
    shown = {(s.value, s.warninglist, s.count, Path(s.first_file).name, s.first_place)
             for s in result.suppressed}
    assert shown == {
        ("8.8.8.8", "List of known IPv4 public DNS resolvers", 1, "firewall.sample.csv", "row 8"),
        ("https://bit.ly/3abc", "List of known URL Shorteners domains", 1, "proxy.sample.csv",
         "row 3"),
        (EMPTY_MD5, "List of known hashes for empty files", 1, "edr.sample.jsonl", "line 2"),
    }
    assert {s.value for s in result.suppressions} == {"8.8.8.8", "https://bit.ly/3abc", EMPTY_MD5}


def test_not_evaluated_patterns_are_reported(result) -> None:  # type: ignore[no-untyped-def]
    reasons = {p.indicator_id: p.reason for p in result.not_evaluated}
    assert set(reasons) == {"indicator--q", "indicator--r"}
    assert "x509-certificate" in reasons["indicator--q"]
    assert "REPEATS 5 TIMES" in reasons["indicator--r"]


def test_bad_records_are_problems_and_the_rest_is_read(result) -> None:  # type: ignore[no-untyped-def]
    places = {(Path(p.file).name, p.place) for p in result.problems}
    assert places == {("dns.sample.jsonl", "line 3"), ("dns.sample.jsonl", "line 5"),
                      ("firewall.sample.csv", "row 10")}
    assert result.lines == 9 + 3 + 3 + 2 + 1  # the bad JSON lines are not records


def test_why_names_value_rule_indicator_feed_and_tlp(result) -> None:  # type: ignore[no-untyped-def]
    hit = next(h for h in result.hits if h.indicator.indicator_id == "indicator--c")
    assert hit.why == ("dst 198.51.100.20 is inside network 198.51.100.16/28: ipv4-addr indicator "
                       "198.51.100.16/28 (indicator--c) from isac (TLP:AMBER)")
    assert ("host", "ws-01") in hit.context
    url_host = next(h for h in result.hits if h.indicator.indicator_id == "indicator--d"
                    and h.column == "url")
    assert url_host.observed == "files.evil.example"  # the host only, never the query string


def test_detail_limit_keeps_complete_counts(tmp_path: Path) -> None:
    log = tmp_path / "firewall.big.csv"
    log.write_text("ts,src,dst,dport,host\n" + "".join(
        f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}Z,10.0.0.1,203.0.113.9,443,ws\n"
        for i in range(500)))
    (tmp_path / "mapping.toml").write_text('[firewall]\nfiles = ["firewall.*.csv"]\n'
                                           '[firewall.columns]\nts = "timestamp"\n'
                                           'dst = "dst_ip"\nhost = "host"\n')
    found = match_logs(IndicatorSet(INDICATORS[:1]), [log], load_mapping(tmp_path / "mapping.toml"),
                       detail_limit=5)
    assert len(found.hits) == 5
    assert found.sightings[0].count == 500
    assert found.lines == 500


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intervals_agree_with_ipaddress(seed: int) -> None:
    """Elementary intervals answer exactly what testing every network with ipaddress does."""
    rng = random.Random(seed)
    networks = []
    for number in range(60):
        prefix = rng.randint(8, 30)
        base = ipaddress.ip_network(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.0.0/{prefix}",
                                    strict=False)
        networks.append((int(base.network_address), int(base.broadcast_address), number,
                         str(base)))
    intervals = _Intervals.build(networks)
    for _ in range(2000):
        address = rng.randint(0, 2**32 - 1)
        expected = tuple(sorted(n for first, last, n, _ in networks if first <= address <= last))
        assert intervals.find(address) == expected


def test_index_counts_candidates_once() -> None:
    index = IndicatorIndex(IndicatorSet(INDICATORS, PATTERNS))
    assert len(index) == len(INDICATORS) + 3  # p, q, s evaluated; r (REPEATS) not supported
    assert [p.support for p in index.unsupported] == [PatternSupport.NOT_SUPPORTED]
