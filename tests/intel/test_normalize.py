"""Indicator value normalization (RFC 5952 IPv6 text, RFC 4632 CIDR, IDNA, RFC 3986 §6.2.2)."""

from __future__ import annotations

import pytest

from caresec.intel.normalize import normalize
from caresec.model.intel import IndicatorKind as K


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    (K.IPV4, " 203.0.113.9 ", (K.IPV4, "203.0.113.9")),
    (K.IPV4, "223.166.0.0/15", (K.IPV4, "223.166.0.0/15")),  # OASIS apt1.json indicator
    (K.IPV4, "198.51.100.77/24", (K.IPV4, "198.51.100.0/24")),  # host bits cleared
    (K.IPV4, "203.0.113.9/32", (K.IPV4, "203.0.113.9")),
    # RFC 5952 §4: leading zeros dropped, longest zero run compressed, lower case
    (K.IPV6, "2001:0DB8:0000:0000:0000:0000:0000:0001", (K.IPV6, "2001:db8::1")),
    (K.IPV6, "2001:db8:0:0:1:0:0:1", (K.IPV6, "2001:db8::1:0:0:1")),
    (K.DOMAIN, "WWW.Example.COM.", (K.DOMAIN, "www.example.com")),
    # RFC 3492 §7.1 style: bücher → xn--bcher-kva (IDNA A-label)
    (K.DOMAIN, "bücher.example", (K.DOMAIN, "xn--bcher-kva.example")),
    (K.DOMAIN, "_ldap._tcp.example.org", (K.DOMAIN, "_ldap._tcp.example.org")),
    # a "domain" that is an address (AmnestyTech investigations issue #38)
    (K.DOMAIN, "192.0.2.44", (K.IPV4, "192.0.2.44")),
    (K.URL, "HTTP://X4z9arb.CN:80/4712#frag", (K.URL, "http://x4z9arb.cn/4712")),
    (K.URL, "https://example.org", (K.URL, "https://example.org/")),
    (K.URL, "https://example.org:8443/a?b=c", (K.URL, "https://example.org:8443/a?b=c")),
    (K.MD5, "001DD76872D80801692FF942308C64E6", (K.MD5, "001dd76872d80801692ff942308c64e6")),
    (K.EMAIL, "Phisher@Evil.Example", (K.EMAIL, "phisher@evil.example")),
])
def test_normalize(kind: K, raw: str, expected: tuple[K, str]) -> None:
    assert normalize(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw", "message"), [
    (K.IPV4, "010.1.1.1", "not an IP address"),  # leading zeros: ambiguous (octal)
    (K.IPV4, "2001:db8::1", "ipv6-addr value"),
    (K.DOMAIN, "domain autuo.xicp.net", "not a domain name"),  # OASIS poisonivy.json value
    (K.DOMAIN, "a" * 64 + ".example", "not a domain name"),  # label over 63 octets
    (K.URL, "/relative/path", "absolute URL"),
    (K.SHA256, "ef53", "64 hex digits"),
    (K.SHA1, "z" * 40, "40 hex digits"),
    (K.EMAIL, "no-at-sign.example", "not an e-mail address"),
])
def test_normalize_rejects(kind: K, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize(kind, raw)
