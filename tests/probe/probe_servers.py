"""Real servers the probe tests start on loopback addresses, and stop afterwards.

* a test PKI (cryptography): a CA, a strong server certificate, an expired self-signed one, a
  client certificate;
* TLS servers configured strong (TLS 1.2+, default suites, CA-signed) and weak (TLS 1.0+,
  NULL/anonymous/static-RSA suites allowed, expired self-signed, wrong name);
* DICOM: pynetdicom SCPs (strict: calling and called AE titles checked; open: anything goes,
  with a Patient Root C-FIND handler answering synthetic matches), Orthanc and DCMTK storescp
  from Debian packages (started as subprocesses with their own configuration);
* HL7 v2 MLLP listeners built on the ``hl7`` library's asyncio MLLP server: open (ACKs every
  message), allow-list (closes on an unknown sending facility), mutual TLS;
* a small FHIR R4B server built with fhir.resources: open, or strict (SMART on FHIR declared,
  every resource request without a bearer token answered 401);
* fault servers: silent, reset, garbage, plain HTTP.

Every server binds 127.0.0.1 (Orthanc and storescp, which cannot be told an address, listen on
a free port of every local interface; the tests only ever connect to 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import hl7
import hl7.mllp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import PatientRootQueryRetrieveInformationModelFind, Verification

LOOPBACK = "127.0.0.1"
DEBIAN_PATH = "/usr/bin:/usr/sbin:/bin:/sbin"


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, host: str = LOOPBACK, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {seconds} s")


def debian_binary(name: str, package: str) -> str:
    """The Debian-installed binary; skip (locally) or fail (CI=true) when missing."""
    path = shutil.which(name, path=DEBIAN_PATH)
    if path is None:
        reason = (f"needs {name} from Debian's {package} package (installed by "
                  ".ci/probe-deps.sh)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI it must be present", pytrace=False)
        pytest.skip(reason)
    return path


# --------------------------------------------------------------------------- PKI


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path
    strong_cert: Path
    strong_key: Path
    weak_cert: Path
    weak_key: Path
    client_cert: Path
    client_key: Path
    server_name: str = "probe.test"


def _write(path: Path, cert: x509.Certificate, key: object) -> Path:
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    return path.with_suffix(".pem")


def make_pki(folder: Path, server_name: str = "probe.test") -> Pki:
    """A CA, a CA-signed server certificate for ``server_name`` and 127.0.0.1, an expired
    self-signed certificate for wrong.test, and a CA-signed client certificate."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caresec test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    ca_path = _write(folder / "ca", ca, ca_key)

    def leaf(name: str, *, client: bool = False) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(ca_name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.CLIENT_AUTH if client
                        else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if not client:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName(name), x509.IPAddress(__import__("ipaddress").ip_address(LOOPBACK)),
            ]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    strong, strong_key = leaf(server_name)
    strong_path = _write(folder / "strong", strong, strong_key)
    client, client_key = leaf("caresec-test-client", client=True)
    client_path = _write(folder / "client", client, client_key)
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    weak_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wrong.test")])
    weak = (x509.CertificateBuilder().subject_name(weak_name).issuer_name(weak_name)
            .public_key(weak_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=400))
            .not_valid_after(now - dt.timedelta(days=35))
            .sign(weak_key, hashes.SHA256()))
    weak_path = _write(folder / "weak", weak, weak_key)
    return Pki(folder, ca_path, strong_path, strong_path.with_suffix(".key"), weak_path,
               weak_path.with_suffix(".key"), client_path, client_path.with_suffix(".key"),
               server_name)


def server_context(pki: Pki, kind: str, *, require_client: bool = False) -> ssl.SSLContext:
    """``strong``: TLS 1.2+, OpenSSL default suites, CA-signed certificate; ``weak``: TLS 1.0+,
    every suite at security level 0 (NULL, anonymous, static RSA), expired self-signed
    certificate for another name."""
    import warnings

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if kind == "strong":
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(pki.strong_cert, pki.strong_key)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("ALL:eNULL:@SECLEVEL=0")
        context.load_cert_chain(pki.weak_cert, pki.weak_key)
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(pki.ca))
    return context


# --------------------------------------------------------------------------- generic TCP servers


class TcpServer:
    """A threaded TCP server on 127.0.0.1 whose ``behaviour`` handles each connection:
    ``silent`` (read and never answer), ``reset`` (close with RST at once), ``garbage`` (send
    bytes of no protocol), ``http`` (answer any request with an HTML page), ``tls-echo`` (TLS
    handshake, then answer nothing; needs ``context``)."""

    def __init__(self, behaviour: str, context: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.context = context
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = int(self.sock.getsockname()[1])
        self.stopped = threading.Event()
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        self.clients.append(conn)
        try:
            conn.settimeout(5)
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
                self.clients.append(conn)
            if self.behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return
            if self.behaviour == "garbage":
                conn.recv(65536)
                conn.sendall(bytes(range(0x30, 0x7f)) * 4)
                time.sleep(0.2)
                conn.close()
                return
            if self.behaviour == "http":
                conn.recv(65536)
                body = b"<html><body>not FHIR</body></html>"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                conn.close()
                return
            while not self.stopped.is_set():  # silent: keep reading, never answer
                if not conn.recv(65536):
                    break
        except (OSError, ssl.SSLError):
            pass

    def stop(self) -> None:
        self.stopped.set()
        for conn in self.clients:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()
        self.thread.join(timeout=2)


# --------------------------------------------------------------------------- DICOM


SYNTHETIC_PATIENTS = 3


class DicomScp:
    """A pynetdicom SCP for Verification and Patient Root C-FIND.

    ``strict``: only calling AE ``CARESEC`` and the called AE ``STRICTSCP`` are accepted;
    ``open``: any AE title. The C-FIND handler answers :data:`SYNTHETIC_PATIENTS` matches made
    up for the test (IDs ``TEST-1`` …), so counts can be checked.
    """

    def __init__(self, mode: str, *, context: ssl.SSLContext | None = None,
                 host: str = LOOPBACK, port: int = 0) -> None:
        self.mode = mode
        self.ae_title = "STRICTSCP" if mode == "strict" else "OPENSCP"
        ae = AE(ae_title=self.ae_title)
        ae.add_supported_context(Verification)
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelFind)
        if mode == "strict":
            ae.require_calling_aet = ["CARESEC"]
            ae.require_called_aet = True
        self.queries = 0
        self.port = port or free_port(host)
        self.server = ae.start_server((host, self.port), block=False, ssl_context=context,
                                      evt_handlers=[(evt.EVT_C_FIND, self._find)])

    def _find(self, event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        self.queries += 1
        for number in range(1, SYNTHETIC_PATIENTS + 1):
            match = Dataset()
            match.QueryRetrieveLevel = "PATIENT"
            match.PatientID = f"TEST-{number}"
            yield 0xFF00, match
        yield 0x0000, None

    def stop(self) -> None:
        self.server.shutdown()


class Orthanc:
    """Orthanc from Debian with a configuration written to a temporary folder.

    ``strict``: DicomCheckCalledAet, only the modality CARESEC@127.0.0.1 known, no
    "always allow" for echo, store or find; ``open``: called AE not checked, echo, store and find
    allowed from any AE title. The HTTP server is disabled.
    """

    def __init__(self, mode: str, folder: Path) -> None:
        binary = debian_binary("Orthanc", "orthanc")
        self.port = free_port()
        self.ae_title = "ORTHANC"
        strict = mode == "strict"
        config = {
            "Name": f"caresec-{mode}",
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "storage"),
            "HttpServerEnabled": False,
            "DicomServerEnabled": True,
            "DicomAet": self.ae_title,
            "DicomPort": self.port,
            "DicomCheckCalledAet": strict,
            "DicomAlwaysAllowEcho": not strict,
            "DicomAlwaysAllowStore": not strict,
            "DicomAlwaysAllowFind": not strict,
            "DicomCheckModalityHost": strict,
            "DicomModalities": {"caresec": ["CARESEC", LOOPBACK, 104]} if strict else {},
            "Plugins": [],
        }
        path = folder / f"orthanc-{mode}.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        self.log = (folder / f"orthanc-{mode}.log").open("w")
        self.process = subprocess.Popen([binary, str(path)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_port(self.port)

    def stop(self) -> None:
        self.process.kill()  # its storage is a temporary folder: no clean shutdown needed
        self.process.wait(timeout=10)
        self.log.close()


class StoreScp:
    """DCMTK's storescp from Debian: ``open`` (defaults: any AE title, clear text) or ``mtls``
    (``+tls`` with the strong certificate and ``-rc``: a client certificate is required)."""

    def __init__(self, mode: str, folder: Path, pki: Pki | None = None) -> None:
        binary = debian_binary("storescp", "dcmtk")
        self.port = free_port()
        self.ae_title = "STORESCP"
        out = folder / f"storescp-{mode}"
        out.mkdir(exist_ok=True)
        args = [binary, "--aetitle", self.ae_title, "--output-directory", str(out),
                "--acse-timeout", "5", "--socket-timeout", "5"]
        if mode == "mtls":
            assert pki is not None
            args += ["+tls", str(pki.strong_key), str(pki.strong_cert), "+cf", str(pki.ca),
                     "-rc", "-pw"]
        args.append(str(self.port))
        self.log = (folder / f"storescp-{mode}.log").open("w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port)

    def stop(self) -> None:
        self.process.kill()  # its storage is a temporary folder: no clean shutdown needed
        self.process.wait(timeout=10)
        self.log.close()


# --------------------------------------------------------------------------- HL7 MLLP


class MllpListener:
    """An MLLP listener on the ``hl7`` library's asyncio server.

    ``open``: answers every message with an ACK (``create_ack``, code AA); ``allowlist``:
    answers only messages whose MSH-4 sending facility is ``LAB``, and closes on any other;
    pass ``context`` for TLS (``require_client`` in it makes mutual TLS)."""

    def __init__(self, mode: str, *, context: ssl.SSLContext | None = None,
                 host: str = LOOPBACK, port: int = 0) -> None:
        self.mode = mode
        self.messages: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.port = port or free_port(host)
        ready = threading.Event()

        async def handle(reader: hl7.mllp.HL7StreamReader,
                         writer: hl7.mllp.HL7StreamWriter) -> None:
            try:
                while not writer.is_closing():
                    message = await reader.readmessage()
                    self.messages.append(str(message))
                    if mode == "allowlist" and str(message.segment("MSH")[4]) != "LAB":
                        break
                    writer.writemessage(message.create_ack())
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError,
                    hl7.ParseException, OSError):
                pass
            finally:
                writer.close()

        async def main() -> None:
            self.server = await hl7.mllp.start_hl7_server(handle, host, self.port,
                                                          ssl=context)
            ready.set()

        self.thread = threading.Thread(target=self._run, args=(main,), daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("MLLP listener did not start")

    def _run(self, main: object) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(main())  # type: ignore[operator]
        self.loop.run_forever()

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        future = asyncio.run_coroutine_threadsafe(close(), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------- FHIR


def capability_statement(strict: bool) -> dict[str, object]:
    """An R4B CapabilityStatement built with fhir.resources (validated on construction)."""
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    rest: dict[str, object] = {
        "mode": "server",
        "resource": [
            {"type": t, "interaction": [{"code": "read"}, {"code": "search-type"}]}
            for t in ("Patient", "Observation", "Organization")
        ],
    }
    if strict:
        rest["security"] = {
            "service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR"}]}],
            "extension": [{
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": "token", "valueUri": "https://probe.test/token"},
                              {"url": "authorize", "valueUri": "https://probe.test/authorize"}],
            }],
        }
    statement = CapabilityStatement.model_validate({
        "resourceType": "CapabilityStatement", "status": "active", "date": "2025-01-01",
        "kind": "instance", "fhirVersion": "4.3.0", "format": ["json"],
        "software": {"name": "caresec test FHIR server", "version": "1.0"},
        "implementation": {"description": "test server"},
        "rest": [rest],
    })
    data: dict[str, object] = json.loads(statement.model_dump_json(exclude_none=True))
    return data


def _outcome(code: str, text: str) -> dict[str, object]:
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    outcome = OperationOutcome.model_validate({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    })
    data: dict[str, object] = json.loads(outcome.model_dump_json(exclude_none=True))
    return data


def _bundle(total: int) -> dict[str, object]:
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "searchset",
                                    "total": total})
    data: dict[str, object] = json.loads(bundle.model_dump_json(exclude_none=True))
    return data


class FhirServer:
    """A small FHIR R4B server: ``open`` (no security; reads of unknown ids 404; searches answer
    a Bundle with a total: Organization 2, Patient 3) or ``strict`` (SMART on FHIR declared;
    metadata and SMART configuration public; every other request without ``Authorization:
    Bearer`` answered 401). ``context`` serves it over HTTPS."""

    TOTALS: ClassVar[dict[str, int]] = {"Organization": 2, "Patient": 3, "Observation": 5}

    def __init__(self, mode: str, *, context: ssl.SSLContext | None = None,
                 host: str = LOOPBACK, port: int = 0) -> None:
        strict = mode == "strict"
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _send(self, status: int, body: dict[str, object]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                requests.append(self.path)
                path = self.path.split("?", 1)[0].rstrip("/")
                if path == "/fhir/metadata":
                    self._send(200, capability_statement(strict))
                    return
                if path == "/fhir/.well-known/smart-configuration":
                    if strict:
                        self._send(200, {"authorization_endpoint": "https://probe.test/authorize",
                                         "token_endpoint": "https://probe.test/token",
                                         "capabilities": ["launch-standalone"]})
                    else:
                        self._send(404, _outcome("not-found", "no SMART configuration"))
                    return
                if strict and not self.headers.get("Authorization", "").startswith("Bearer "):
                    self._send(401, _outcome("login", "a bearer token is required"))
                    return
                parts = [p for p in path.split("/") if p]
                if len(parts) == 3 and parts[0] == "fhir":
                    self._send(404, _outcome("not-found", f"{parts[1]}/{parts[2]} not found"))
                    return
                if len(parts) == 2 and parts[0] == "fhir" and parts[1] in self.TOTALS:
                    self._send(200, _bundle(self.TOTALS[parts[1]]))
                    return
                self._send(404, _outcome("not-supported", "unknown path"))

            TOTALS = FhirServer.TOTALS

        self.port = port or free_port(host)
        self.httpd = ThreadingHTTPServer((host, self.port), Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
