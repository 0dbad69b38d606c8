"""Normalization of indicator values, so that a feed's value and a log's value compare equal.

Rules (the same for indicators and for log values):

* IPv4/IPv6 (RFC 4291 §2.2 text form, RFC 5952 canonical IPv6): :mod:`ipaddress` canonical
  text; a network ``addr/prefix`` (RFC 4632 CIDR) keeps its prefix with host bits cleared, and
  ``/32`` (``/128``) becomes a plain address. IPv4 with leading zeros is refused (ambiguous).
* Domain names (RFC 1035 §2.3.1, RFC 5890 IDNA): lower case, trailing dot removed, non-ASCII
  labels as A-labels; labels of letters, digits, ``-`` and ``_``, 1–63 characters, 253 in all.
  A "domain" that is an IP address is treated as that address (a known feed error).
* URLs (RFC 3986 §6.2.2 syntax-based normalization): scheme and host lower case, default port
  (http 80, https 443, ftp 21) and fragment removed, empty path written ``/``.
* File hashes: lower-case hex of the algorithm's length (MD5 32, SHA-1 40, SHA-256 64).
* E-mail addresses (RFC 5321 §2.3.11): lower case, one ``@``, a valid domain after it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from caresec.model.intel import IndicatorKind

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_HEX = re.compile(r"^[0-9a-f]+$")
HASH_LENGTHS = {IndicatorKind.MD5: 32, IndicatorKind.SHA1: 40, IndicatorKind.SHA256: 64}
HASH_BY_LENGTH = {length: kind for kind, length in HASH_LENGTHS.items()}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def normalize_ip(raw: str) -> tuple[IndicatorKind, str]:
    """An address or network in canonical text.

    Returns:
        ``(IPV4 | IPV6, text)``.

    Raises:
        ValueError: not an IPv4/IPv6 address or network.
    """
    text = raw.strip()
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            kind = IndicatorKind.IPV4 if network.version == 4 else IndicatorKind.IPV6
            if network.prefixlen == network.max_prefixlen:
                return kind, str(network.network_address)
            return kind, str(network)
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not an IP address or CIDR network ({exc})") from None
    return (IndicatorKind.IPV4 if address.version == 4 else IndicatorKind.IPV6), str(address)


def normalize_domain(raw: str) -> str:
    """A domain name, lower case, without trailing dot, non-ASCII labels as IDNA A-labels.

    Raises:
        ValueError: empty, too long, or a label with characters other than letters, digits,
            ``-`` and ``_``.
    """
    text = raw.strip().rstrip(".").lower()
    if not text:
        raise ValueError("empty domain name")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"{raw!r} is not a valid internationalized domain ({exc})") from None
    if len(text) > 253:
        raise ValueError(f"domain name of {len(text)} characters (at most 253)")
    for label in text.split("."):
        if not _LABEL.match(label):
            raise ValueError(f"{raw!r} is not a domain name (label {label!r})")
    return text


def normalize_url(raw: str) -> str:
    """A URL with lower-case scheme and host, no default port, no fragment, ``/`` for an
    empty path.

    Raises:
        ValueError: no scheme or no host, or the host is not a domain or IP address.
    """
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not scheme or not host:
        raise ValueError(f"{raw!r} is not an absolute URL with a host")
    host = url_host(host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def url_host(host: str) -> str:
    """The host of a URL as a normalized domain or IP address.

    Raises:
        ValueError: neither.
    """
    bare = host.strip("[]")
    try:
        return normalize_ip(bare)[1]
    except ValueError:
        return normalize_domain(bare)


def normalize_hash(kind: IndicatorKind, raw: str) -> str:
    """Lower-case hex of the right length for ``kind``.

    Raises:
        ValueError: not hex, or the wrong length for the algorithm.
    """
    text = raw.strip().lower()
    expected = HASH_LENGTHS[kind]
    if len(text) != expected or not _HEX.match(text):
        raise ValueError(f"{raw!r} is not a {kind.value.upper()} hash ({expected} hex digits)")
    return text


def normalize_email(raw: str) -> str:
    """A lower-case e-mail address.

    Raises:
        ValueError: not exactly one ``@``, empty local part, or an invalid domain.
    """
    text = raw.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "@" in local or any(c.isspace() for c in local):
        raise ValueError(f"{raw!r} is not an e-mail address")
    return f"{local}@{normalize_domain(domain)}"


def normalize(kind: IndicatorKind, raw: str) -> tuple[IndicatorKind, str]:
    """Normalize ``raw`` as a value of ``kind``.

    Returns:
        ``(kind, value)``; the kind changes only when a domain value is an IP address.

    Raises:
        ValueError: the value is not valid for the kind (the message names the value).
    """
    if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6):
        found, value = normalize_ip(raw)
        if found is not kind:
            raise ValueError(f"{raw!r} is an {found.value} value, not {kind.value}")
        return kind, value
    if kind is IndicatorKind.DOMAIN:
        try:
            return normalize_ip(raw)
        except ValueError:
            return kind, normalize_domain(raw)
    if kind is IndicatorKind.URL:
        return kind, normalize_url(raw)
    if kind is IndicatorKind.EMAIL:
        return kind, normalize_email(raw)
    return kind, normalize_hash(kind, raw)
