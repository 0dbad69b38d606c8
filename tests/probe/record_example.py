"""Record the example hospital's probe evidence: a real ``caresec probe`` run and real Nmap scans
against stand-in servers on loopback addresses.

Run as root from the repository root (ports 104 and 443 are privileged), with Orthanc and Nmap
from Debian installed (``.ci/probe-deps.sh``)::

    python tests/probe/record_example.py examples/riverside-community-hospital/probes

Stand-ins (each bound to its own 127.0.0.x address; ``probes/host-map.csv`` maps the address to
the inventory asset it stands in for):

* 127.0.0.11:4242 PACS-01 — Orthanc 1.10.1 configured as many archives ship: any called AE title,
  echo, store and find allowed from any calling AE title;
* 127.0.0.12:2575 HL7-01 — an MLLP listener (``hl7`` library) that acknowledges everything;
* 127.0.0.13:8443 PORTAL-WEB-01 — the FHIR test server with SMART on FHIR required, over TLS
  1.0-1.3 with NULL/anonymous/static-RSA suites allowed and an expired self-signed certificate;
* 127.0.0.14:443 EHR-APP-01 — the FHIR test server with SMART on FHIR required, over TLS 1.2+
  with a certificate from the organization's CA (``ca_file``);
* 127.0.0.15:2575 IP-FLEET — an MLLP listener (pump auto-programming interface stand-in) that
  acknowledges everything, in clear text;
* 127.0.0.99:104 — a DICOM SCP (pynetdicom) accepting any AE title, not in the inventory and not
  in the probe scope: only the Nmap sweep finds it.

The probe run uses ``--opt-in-phi-queries`` with ``phi_queries = true`` on PACS-01 only.
Nothing here rewrites a result: the JSON and XML files are written by caresec and Nmap.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

HERE = Path(__file__).resolve().parent


def _servers():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("probe_servers", HERE / "probe_servers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["probe_servers"] = module
    spec.loader.exec_module(module)
    return module


def _portal_pki(folder: Path):  # type: ignore[no-untyped-def]
    """An expired self-signed certificate for portal.riverside.example."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.riverside.example")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=395))
            .not_valid_after(now - dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("portal.riverside.example")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "portal.pem", folder / "portal.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def main(out: Path) -> None:
    import ssl
    import warnings

    srv = _servers()
    from caresec.cli.probe import app

    work = Path(tempfile.mkdtemp(prefix="caresec-record-"))
    pki = srv.make_pki(work, "ehr.riverside.example")
    portal_cert, portal_key = _portal_pki(work)
    weak = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        weak.minimum_version = ssl.TLSVersion.TLSv1
    weak.set_ciphers("ALL:eNULL:@SECLEVEL=0")
    weak.load_cert_chain(portal_cert, portal_key)

    orthanc_dir = work / "orthanc"
    orthanc_dir.mkdir()
    orthanc_config = orthanc_dir / "orthanc.json"
    orthanc_config.write_text(json.dumps({
        "Name": "PACS01", "StorageDirectory": str(orthanc_dir),
        "IndexDirectory": str(orthanc_dir), "HttpServerEnabled": False,
        "DicomServerEnabled": True, "DicomAet": "PACS01", "DicomPort": 4242,
        "DicomCheckCalledAet": False, "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True, "DicomModalities": {},
        "Plugins": [],
    }), encoding="utf-8")
    orthanc = subprocess.Popen([srv.debian_binary("Orthanc", "orthanc"), str(orthanc_config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = []
    try:
        srv.wait_port(4242, "127.0.0.11")
        started += [
            srv.MllpListener("open", host="127.0.0.12", port=2575),
            srv.FhirServer("strict", context=weak, host="127.0.0.13", port=8443),
            srv.FhirServer("strict", context=srv.server_context(pki, "strong"),
                           host="127.0.0.14", port=443),
            srv.MllpListener("open", host="127.0.0.15", port=2575),
            srv.DicomScp("open", host="127.0.0.99", port=104),
        ]
        shutil.copy(pki.ca, work / "riverside-ca.pem")
        (work / "caresec.toml").write_text(textwrap.dedent(f"""\
            [organization]
            name = "Riverside Community Hospital"
            size_tier = "medium"

            [probe]
            rate = 5
            timeout = 5
            results = "{out.resolve()}"
            ca_file = "riverside-ca.pem"

            [[probe.targets]]
            name = "PACS image manager"
            hosts = ["127.0.0.11"]
            ports = [4242]
            protocol = "dicom"
            called_ae = "PACS01"
            phi_queries = true

            [[probe.targets]]
            name = "HL7 interface engine"
            hosts = ["127.0.0.12"]
            ports = [2575]
            protocol = "hl7-mllp"

            [[probe.targets]]
            name = "Patient portal FHIR API"
            hosts = ["127.0.0.13"]
            ports = [8443]
            protocol = "fhir"
            base_path = "/fhir"
            server_name = "portal.riverside.example"

            [[probe.targets]]
            name = "EHR FHIR API"
            hosts = ["127.0.0.14"]
            ports = [443]
            protocol = "fhir"
            base_path = "/fhir"
            server_name = "ehr.riverside.example"

            [[probe.targets]]
            name = "Infusion pump auto-programming interface"
            hosts = ["127.0.0.15"]
            ports = [2575]
            protocol = "hl7-mllp"
        """), encoding="utf-8")
        result = CliRunner().invoke(app, [str(work), "--opt-in-phi-queries"])
        print(result.output)
        if result.exit_code != 0:
            raise SystemExit(f"probe failed: {result.exception!r}")
        nmap = srv.debian_binary("nmap", "nmap")
        for name, ports, hosts in (
            ("nmap-pacs.xml", "4242", ["127.0.0.11"]),
            ("nmap-sweep.xml", "104,443,2575,8443",
             ["127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15", "127.0.0.99"]),
        ):
            subprocess.run([nmap, "-sT", "-Pn", "-n", "-sV", "--version-light", "-p", ports,
                            "--script", "dicom-ping,ssl-enum-ciphers", "-oX", str(out / name),
                            *hosts], check=True, capture_output=True, timeout=600)
    finally:
        for server in started:
            server.stop()
        orthanc.terminate()
        orthanc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
