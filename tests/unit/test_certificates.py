"""The hierarchy's certificates: what IoT Edge requires of a root and an edge CA."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from acr_edge_cli.certificates import (
    CertificateError,
    edge_ca_common_name,
    generate_root,
    issue_edge_ca,
    load_root,
)


def _chain(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


def test_edge_ca_is_a_ca_signed_by_the_root_with_the_full_chain() -> None:
    root = generate_root("contoso-plant")
    edge = issue_edge_ca(root, "plant-site-ops")
    certificate, second = _chain(edge.certificate_pem)
    assert second == root.certificate  # edge CA, then the root
    certificate.verify_directly_issued_by(root.certificate)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    common_name = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert common_name == "plant-site-ops edge CA"
    assert certificate.not_valid_after_utc <= root.certificate.not_valid_after_utc
    key = serialization.load_pem_private_key(edge.key_pem, password=None)
    assert key.public_key() == certificate.public_key()


def test_common_names_stay_under_64_characters() -> None:
    long_id = "line-" + "x" * 120
    assert len(edge_ca_common_name(long_id)) == 63
    root = generate_root("h" * 64)
    edge_certificate = _chain(issue_edge_ca(root, long_id).certificate_pem)[0]
    for certificate in (root.certificate, edge_certificate):
        name = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        assert len(str(name)) < 64


def test_a_supplied_root_must_be_a_ca_with_its_own_key() -> None:
    root = generate_root("a")
    other = generate_root("b")
    assert load_root(root.certificate_pem, root.key_pem).certificate == root.certificate
    with pytest.raises(CertificateError, match="does not belong to the root certificate"):
        load_root(root.certificate_pem, other.key_pem)
    with pytest.raises(CertificateError, match=r"not a PEM X\.509 certificate"):
        load_root(b"garbage", root.key_pem)
    with pytest.raises(CertificateError, match="unencrypted PEM private key"):
        load_root(root.certificate_pem, b"garbage")
    not_a_ca = (
        x509.CertificateBuilder()
        .subject_name(root.certificate.subject)
        .issuer_name(root.certificate.subject)
        .public_key(root.key.public_key())
        .serial_number(1)
        .not_valid_before(root.certificate.not_valid_before_utc)
        .not_valid_after(root.certificate.not_valid_after_utc)
        .sign(root.key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="is not a CA"):
        load_root(not_a_ca.public_bytes(serialization.Encoding.PEM), root.key_pem)
