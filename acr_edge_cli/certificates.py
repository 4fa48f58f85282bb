"""The hierarchy's certificates, with `cryptography`: one root CA, and per device an edge CA
signed by it (IoT Edge issues the device's module and server certificates from that).

Keys are ECDSA P-256, which aziot-keyd supports and which costs a millisecond a device
(RSA-4096, as `az iot edge devices create` makes its root, costs seconds each). Edge CA
certificates follow the IoT Edge docs: CA:TRUE with keyCertSign, a common name under 64
characters that is not the device's hostname, signed by the root.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

#: Days a generated root CA is valid; edge CAs are renewed by running `bundle` again.
ROOT_DAYS = 3650
EDGE_CA_DAYS = 365
#: X.509 caps a common name at 64 characters; IoT Edge wants fewer.
COMMON_NAME_LIMIT = 63


class CertificateError(ValueError):
    """A supplied root that cannot be used (said in one line, without key material)."""


@dataclass(frozen=True)
class RootCA:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return _key_pem(self.key)


@dataclass(frozen=True)
class EdgeCA:
    certificate_pem: bytes  # the edge CA, then the root: a full chain
    key_pem: bytes


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:COMMON_NAME_LIMIT])])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def generate_root(hierarchy_name: str) -> RootCA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{hierarchy_name} root CA (acr-edge)")
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return RootCA(certificate, key)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def load_root(certificate_pem: bytes, key_pem: bytes) -> RootCA:
    """A root CA the user supplies (PEM, key unencrypted); CertificateError when it is not a
    CA, or the key is not its own."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError:
        raise CertificateError("the root certificate is not a PEM X.509 certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise CertificateError(
            "the root key is not an unencrypted PEM private key (decrypt it first: "
            "openssl pkey -in KEY -out PLAIN)"
        ) from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise CertificateError("the root key must be an RSA or EC key")
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        is_ca = constraints.value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise CertificateError("the root certificate is not a CA (basicConstraints CA:TRUE)")
    public = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    own = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public != own:
        raise CertificateError("the root key does not belong to the root certificate")
    if certificate.not_valid_after_utc <= _now():
        raise CertificateError("the root certificate has expired")
    return RootCA(certificate, key)


def edge_ca_common_name(device_id: str) -> str:
    """Not the hostname (IoT Edge refuses an edge CA named like the device it serves)."""
    return f"{device_id} edge CA"[:COMMON_NAME_LIMIT]


def issue_edge_ca(root: RootCA, device_id: str) -> EdgeCA:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = min(
        now + datetime.timedelta(days=EDGE_CA_DAYS), root.certificate.not_valid_after_utc
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(edge_ca_common_name(device_id)))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after)
        # the edge CA signs the module and server certificates: leaves only
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
            critical=False,
        )
        .sign(root.key, hashes.SHA256())
    )
    chain = certificate.public_bytes(serialization.Encoding.PEM) + root.certificate_pem
    return EdgeCA(chain, _key_pem(key))
