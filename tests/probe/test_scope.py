"""Probe scope from caresec.toml [probe]: what is allowed, and refusals with clear messages.

AE title rules: DICOM PS3.5 Table 6.2-1 (VR AE: at most 16 characters, no backslash, no control
characters). CIDR expansion: RFC 4632 (a /30 has 2 host addresses, a /32 one address).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from caresec.errors import ConfigError
from caresec.model.exposure import ServiceProtocol
from caresec.probe.scope import ScopeError, TlsMode, load_scope, resolve_targets

BASE = """
[organization]
name = "Test Hospital"
size_tier = "small"

[probe]
rate = 4
timeout = 3

[[probe.targets]]
name = "PACS"
hosts = ["127.0.0.11", "127.0.1.0/30"]
ports = [104, 11112]
protocol = "dicom"
called_ae = "PACS"
phi_queries = true

[[probe.targets]]
hosts = ["127.0.0.12"]
ports = [2575]
protocol = "hl7-mllp"
tls = false
timeout = 1.5

[[probe.targets]]
hosts = ["fhir.local"]
ports = [8443]
protocol = "fhir"
tls = true
base_path = "/fhir/"
"""


def _org(tmp_path: Path, text: str) -> Path:
    (tmp_path / "caresec.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_scope_is_read_with_defaults(tmp_path):  # type: ignore[no-untyped-def]
    scope = load_scope(_org(tmp_path, BASE))
    assert scope.rate == 4 and scope.timeout == 3
    assert scope.results_dir == tmp_path.resolve() / "probes"
    pacs, hl7, fhir = scope.targets
    assert pacs.protocol is ServiceProtocol.DICOM and pacs.calling_ae == "CARESEC"
    assert pacs.tls is TlsMode.AUTO and pacs.timeout == 3 and pacs.phi_queries is True
    assert pacs.addresses() == ("127.0.0.11", "127.0.1.1", "127.0.1.2")
    assert hl7.tls is TlsMode.OFF and hl7.timeout == 1.5 and hl7.phi_queries is False
    assert fhir.tls is TlsMode.ON and fhir.base_path == "/fhir" and fhir.hosts == ("fhir.local",)
    keys = [t.key for t in scope.plan()]
    assert keys[:2] == ["dicom://127.0.0.11:104", "dicom://127.0.0.11:11112"]
    assert len(keys) == 3 * 2 + 1 + 1


@pytest.mark.parametrize(("requested", "expected"), [
    (["127.0.0.11"], ["dicom://127.0.0.11:104", "dicom://127.0.0.11:11112"]),
    (["127.0.0.11:104"], ["dicom://127.0.0.11:104"]),
    (["127.0.1.0/30"], ["dicom://127.0.1.1:104", "dicom://127.0.1.1:11112",
                        "dicom://127.0.1.2:104", "dicom://127.0.1.2:11112"]),
    (["hl7-mllp://127.0.0.12:2575"], ["hl7-mllp://127.0.0.12:2575"]),
    (["FHIR.local:8443"], ["fhir://fhir.local:8443"]),
])
def test_requested_targets_inside_the_scope(tmp_path, requested, expected):  # type: ignore[no-untyped-def]
    scope = load_scope(_org(tmp_path, BASE))
    assert [t.key for t in resolve_targets(scope, requested)] == expected


@pytest.mark.parametrize(("requested", "reason"), [
    (["127.0.0.13"], "127.0.0.13 is not in the probe scope"),
    (["127.0.0.11:2575"], "port 2575 of 127.0.0.11 is not in the probe scope"),
    # the /30 block holds .0-.3; the /29's hosts .4-.6 lie outside it
    (["127.0.1.0/29"], "127.0.1.4, 127.0.1.5, 127.0.1.6 are not in the probe scope"),
    (["127.0.2.0/28"], "127.0.2.1, 127.0.2.2, 127.0.2.3 and 11 more are not in the probe scope"),
    (["fhir://127.0.0.11:104"], "is not in the probe scope"),
    (["10.20.20.10"], "10.20.20.10 is not in the probe scope"),
    (["ftp://127.0.0.11"], "unknown protocol 'ftp'"),
    (["127.0.0.11:99999"], "'99999' is not a TCP port"),
    (["not a host!"], "not an address, CIDR block or host name"),
])
def test_out_of_scope_targets_are_refused_with_the_scope_named(tmp_path, requested, reason):  # type: ignore[no-untyped-def]
    scope = load_scope(_org(tmp_path, BASE))
    with pytest.raises(ScopeError) as caught:
        resolve_targets(scope, ["127.0.0.12", *requested])
    message = str(caught.value)
    assert message.startswith("refused, out of scope: ")
    assert reason in message
    assert "#1 dicom 127.0.0.11, 127.0.1.0/30 port(s) 104, 11112" in message


@pytest.mark.parametrize(("change", "message"), [
    (("[probe]\nrate = 4", "[probe]\nrate = 0"), "rate must be a number above 0"),
    (("timeout = 3", "timeout = true"), "timeout must be a number"),
    (("timeout = 3", "timeout = 3\naudit = 1"), "audit must be true or false"),
    (('called_ae = "PACS"', 'called_ae = "BAD\\\\AE"'), "is not a DICOM AE title"),
    (('called_ae = "PACS"', 'called_ae = "AN_AE_TITLE_LONGER_THAN_16"'), "not a DICOM AE title"),
    (('called_ae = "PACS"\n', ''), "DICOM target without called_ae"),
    (('protocol = "dicom"', 'protocol = "smb"'), "protocol is 'smb'"),
    (('ports = [2575]', 'ports = [0]'), "0 is not a TCP port"),
    (('hosts = ["127.0.0.12"]', 'hosts = ["10.0.0.0/8"]'), "cover 16777216 addresses"),
    (('hosts = ["127.0.0.12"]', 'hosts = ["bad host"]'), "is not an IP address, CIDR"),
    (("tls = false", 'tls = "maybe"'), "tls is 'maybe'"),
    (("tls = false", "tls_mode = false"), "unknown key(s) 'tls_mode'"),
    (("phi_queries = true", 'phi_queries = "yes"'), "phi_queries must be true or false"),
    (('base_path = "/fhir/"', 'base_path = "fhir"'), "base_path must be a path"),
])
def test_bad_probe_tables_are_refused_naming_the_key(tmp_path, change, message):  # type: ignore[no-untyped-def]
    old, new = change
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load_scope(_org(tmp_path, BASE.replace(old, new, 1)))
    assert message in str(caught.value)
    assert "caresec.toml" in str(caught.value)


def test_missing_probe_table_means_nothing_is_in_scope(tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="no \\[probe\\] table"):
        load_scope(_org(tmp_path, BASE.split("[probe]")[0]))
