"""TLS checks against local TLS servers configured weak and strong.

Expected values come from how the servers are configured (probe_servers.server_context) and
the rules the checks follow: RFC 8996 (TLS 1.0/1.1 deprecated), NIST SP 800-52 Rev. 2 §3.3.1
(no NULL, anonymous or static-RSA suites), RFC 5280 §4.1.2.5 (validity), RFC 6125 §6 (names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from caresec.probe.tls import detect_tls, probe_tls, tls_checks

NOW = dt.datetime.now(dt.UTC)


def _holds(observation, check_id):  # type: ignore[no-untyped-def]
    return {c.check_id: c.holds for c in tls_checks(observation, now=NOW)}.get(check_id)


@pytest.fixture
def weak(srv, pki, start):  # type: ignore[no-untyped-def]
    return start(srv.TcpServer("silent", srv.server_context(pki, "weak")))


@pytest.fixture
def strong(srv, pki, start):  # type: ignore[no-untyped-def]
    return start(srv.TcpServer("silent", srv.server_context(pki, "strong")))


def test_weak_server_offers_legacy_versions_weak_suites_and_a_broken_certificate(
    probe, weak
):  # type: ignore[no-untyped-def]
    result = probe_tls(probe, "127.0.0.1", weak.port, "probe.test")
    assert result.protocols == ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    classes = [s.split(" (")[0] for s in result.weak_suites]
    assert classes == ["NULL encryption", "anonymous key exchange", "static RSA key exchange"]
    cert = result.certificate
    assert cert is not None
    assert cert.self_signed is True
    assert cert.names == ("wrong.test",)
    assert dt.datetime.fromisoformat(cert.not_after) < NOW
    assert result.name_matches is False
    assert result.trusted is False
    assert "self-signed" in result.trust_error or "expired" in result.trust_error
    assert result.client_certificate_required is False
    for check_id in ("tls.legacy-protocol", "tls.weak-cipher-suites", "tls.certificate-expired",
                     "tls.certificate-self-signed", "tls.certificate-name-mismatch",
                     "tls.certificate-untrusted"):
        assert _holds(result, check_id) is True, check_id


def test_strong_server_passes_every_check_when_its_ca_is_trusted(
    probe, strong, pki
):  # type: ignore[no-untyped-def]
    result = probe_tls(replace(probe, ca_file=pki.ca), "127.0.0.1", strong.port, "probe.test")
    assert result.protocols == ("TLSv1.2", "TLSv1.3")
    assert result.weak_suites == ()
    assert result.certificate is not None and result.certificate.self_signed is False
    assert result.certificate.names == ("probe.test", "127.0.0.1")
    assert result.name_matches is True
    assert result.trusted is True
    for check_id in ("tls.legacy-protocol", "tls.weak-cipher-suites", "tls.certificate-expired",
                     "tls.certificate-self-signed", "tls.certificate-name-mismatch",
                     "tls.certificate-untrusted", "tls.client-certificate-required"):
        assert _holds(result, check_id) is False, check_id


@pytest.mark.parametrize(("name", "matches"), [
    ("probe.test", True), ("127.0.0.1", True), ("other.test", False), ("127.0.0.2", False),
])
def test_host_name_check_follows_the_subject_alternative_names(
    probe, strong, name, matches
):  # type: ignore[no-untyped-def]
    assert probe_tls(probe, "127.0.0.1", strong.port, name).name_matches is matches


def test_strong_certificate_is_untrusted_without_the_organization_ca(
    probe, strong
):  # type: ignore[no-untyped-def]
    result = probe_tls(probe, "127.0.0.1", strong.port, "probe.test")
    assert result.trusted is False
    assert "unable to get local issuer certificate" in result.trust_error


def test_mutual_tls_server_is_seen_to_require_a_client_certificate(
    srv, pki, start, probe
):  # type: ignore[no-untyped-def]
    server = start(srv.TcpServer("silent", srv.server_context(pki, "strong",
                                                             require_client=True)))
    result = probe_tls(probe, "127.0.0.1", server.port, "probe.test")
    assert result.client_certificate_required is True
    assert "TLSv1.3" in result.protocols and "TLSv1.2" in result.protocols
    assert _holds(result, "tls.client-certificate-required") is True


@pytest.mark.parametrize(("behaviour", "tls", "expected"), [
    ("silent", True, True),
    ("silent", False, False),
    ("http", False, False),
    ("garbage", False, False),
    ("reset", False, False),
])
def test_detect_tls(srv, pki, start, probe, behaviour, tls, expected):  # type: ignore[no-untyped-def]
    context = srv.server_context(pki, "strong") if tls else None
    server = start(srv.TcpServer(behaviour, context))
    assert detect_tls(replace(probe, timeout=0.5), "127.0.0.1", server.port) is expected


def test_detect_tls_raises_when_nothing_listens(srv, probe):  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionRefusedError):
        detect_tls(probe, "127.0.0.1", srv.free_port())
