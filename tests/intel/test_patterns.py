"""STIX 2.1 §9 patterns: plain OR-of-equalities split into values; the rest evaluated with
stix2-matcher or reported as not supported. Patterns are the OASIS examples' unless noted."""

from __future__ import annotations

import pytest

from caresec.intel.patterns import decompose
from caresec.model.intel import IndicatorKind as K
from caresec.model.intel import PatternSupport as S


@pytest.mark.parametrize(("pattern", "atoms"), [
    ("[ipv4-addr:value = '223.166.0.0/15']", [(K.IPV4, "223.166.0.0/15")]),
    ("[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
     [(K.SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")]),
    ("[domain-name:value = 'e.ct.toh.info' OR ipv4-addr:value = '101.78.151.179']",
     [(K.DOMAIN, "e.ct.toh.info"), (K.IPV4, "101.78.151.179")]),
    # not in the examples: IN, ISSUBSET, OR between observations, an escaped quote (§9.3)
    ("[ipv4-addr:value IN ('203.0.113.1', '203.0.113.2')]",
     [(K.IPV4, "203.0.113.1"), (K.IPV4, "203.0.113.2")]),
    ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", [(K.IPV4, "198.51.100.0/24")]),
    ("[url:value = 'http://a.example/'] OR [email-addr:value = 'x@b.example']",
     [(K.URL, "http://a.example/"), (K.EMAIL, "x@b.example")]),
    ("[url:value = 'http://a.example/it\\'s']", [(K.URL, "http://a.example/it's")]),
])
def test_plain(pattern: str, atoms: list[tuple[K, str]]) -> None:
    parts = decompose(pattern)
    assert parts.support is None
    assert list(parts.atoms) == atoms


@pytest.mark.parametrize(("pattern", "support", "candidates", "reason"), [
    ("[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
     "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']", S.EVALUATED, [], "stix2-matcher"),
    ("[email-message:subject MATCHES '^[IMPORTANT] Please Review Before']", S.EVALUATED, [],
     "stix2-matcher"),
    ("[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
     S.EVALUATED, [(K.IPV4, "198.51.100.7")], "stix2-matcher"),
    ("[ipv4-addr:value = '203.0.113.1'] REPEATS 5 TIMES", S.NOT_SUPPORTED, [],
     "REPEATS 5 TIMES"),
    ("[ipv4-addr:value = '203.0.113.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
     S.NOT_SUPPORTED, [], "FOLLOWEDBY"),
    ("[ipv4-addr:value = '203.0.113.1'] AND [domain-name:value = 'a.example']",
     S.NOT_SUPPORTED, [], "separate observations with AND"),
])
def test_not_plain(pattern: str, support: S, candidates: list[tuple[K, str]],
                   reason: str) -> None:
    parts = decompose(pattern)
    assert parts.support is support
    assert list(parts.candidates) == candidates
    assert reason in parts.reason


def test_syntax_error() -> None:
    with pytest.raises(ValueError, match="pattern does not parse"):
        decompose("[ipv4-addr:value = ")
