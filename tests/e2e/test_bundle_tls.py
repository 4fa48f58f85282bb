"""The proof a bundle works: a server certificate issued from a parent's edge CA — as the IoT
Edge workload API issues one to the API proxy (CN the device's hostname, SAN the module id)
— served by real nginx, which a child reaches over TLS trusting only its own bundle's root;
a root from another hierarchy is refused."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acr_edge_cli.certificates import generate_root
from tests.conftest import EXAMPLES

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
if NGINX is None:
    if os.environ.get("ACR_EDGE_E2E_REQUIRED"):
        pytest.fail("e2e needs nginx: apt-get install nginx", pytrace=False)
    pytest.skip("e2e needs nginx: apt-get install nginx", allow_module_level=True)

ADDRESS = "127.0.0.40"
PORT = 8443
PARENT_HOST = "top-layer.contoso.local"
MODULE = "IoTEdgeAPIProxy"


def _workload_certificate(edge_ca_pem: bytes, edge_ca_key_pem: bytes) -> tuple[bytes, bytes]:
    """What the workload API hands the API proxy: a server certificate from the edge CA."""
    edge_ca = x509.load_pem_x509_certificates(edge_ca_pem)[0]
    edge_key = serialization.load_pem_private_key(edge_ca_key_pem, password=None)
    assert isinstance(edge_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PARENT_HOST)]))
        .issuer_name(edge_ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(PARENT_HOST), x509.DNSName(MODULE)]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(edge_key, hashes.SHA256())
    )
    # the server sends its certificate and the edge CA's chain
    chain = certificate.public_bytes(serialization.Encoding.PEM) + edge_ca_pem
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    return chain, key_pem


@pytest.fixture
def parent_proxy(tmp_path: Path) -> Iterator[Path]:
    from typer.testing import CliRunner

    from acr_edge_cli.cli import app

    bundles = tmp_path / "bundles"
    result = CliRunner().invoke(app, ["bundle", str(EXAMPLES / "two-layer.yaml"), "-o",
                                      str(bundles)])  # fmt: skip
    assert result.exit_code == 0, result.output
    top = bundles / "top-layer"
    chain, key = _workload_certificate(
        (top / "edge-ca.pem").read_bytes(), (top / "edge-ca.key.pem").read_bytes()
    )
    server = tmp_path / "nginx"
    server.mkdir()
    (server / "server.crt").write_bytes(chain)
    (server / "server.key").write_bytes(key)
    (server / "nginx.conf").write_text(
        "pid nginx.pid;\nerror_log stderr warn;\nevents {}\n"
        "http { access_log off; server {\n"
        f"  listen {ADDRESS}:{PORT} ssl;\n"
        "  ssl_certificate server.crt; ssl_certificate_key server.key;\n"
        "  location / { return 200 'parent proxy\\n'; }\n"
        "} }\n"
    )
    log = (server / "log").open("wb")
    process = subprocess.Popen(
        [str(NGINX), "-p", f"{server}/", "-c", "nginx.conf", "-e", "stderr",
         "-g", "daemon off; user root;"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((ADDRESS, PORT)) == 0:
                break
        assert process.poll() is None, (server / "log").read_text()
        time.sleep(0.05)
    try:
        yield bundles
    finally:
        process.terminate()
        process.wait(timeout=5)
        log.close()


def _get(cafile: Path, server_name: str) -> str:
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection((ADDRESS, PORT), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
    return answer.decode()


def test_a_child_trusting_only_its_bundle_reaches_its_parent(parent_proxy: Path) -> None:
    child_root = parent_proxy / "lower-layer" / "root-ca.pem"
    # as the child's edgeAgent/edgeHub reach parent_hostname, and its API proxy checks the
    # parent's proxy by module name (proxy_ssl_name)
    for name in (PARENT_HOST, MODULE):
        answer = _get(child_root, name)
        assert answer.startswith("HTTP/1.1 200 OK") and answer.endswith("parent proxy\n")


def test_a_root_from_another_hierarchy_is_refused(parent_proxy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-root.pem"
    other.write_bytes(generate_root("another-plant").certificate_pem)
    with pytest.raises(
        ssl.SSLCertVerificationError,
        match="certificate verify failed: self-signed certificate in certificate chain",
    ):
        _get(other, PARENT_HOST)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _get(parent_proxy / "lower-layer" / "root-ca.pem", "lower-layer.contoso.local")
