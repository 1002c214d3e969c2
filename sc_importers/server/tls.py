"""HTTPS for ``sc-server --tls``: a self-signed certificate for this machine, kept in ``<data-dir>/tls/``.

geti-sdk (and Geti clients in general) speak only HTTPS, and the project's standard is TLS verification on by
default, so the certificate is one a client can verify: its subject alternative names cover ``localhost``,
``127.0.0.1`` and ``::1``, and the certificate file itself serves as the client's CA bundle (it is its own issuer).
The private key is written with mode 0600 and never leaves the data directory.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
#: Names the generated certificate is valid for (a client connecting to another name fails verification).
DNS_NAMES = ("localhost",)
IP_ADDRESSES = ("127.0.0.1", "::1")
_VALID_DAYS = 825
#: A stored certificate this close to expiring is replaced at start-up.
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


class TlsError(Exception):
    """A certificate or key that cannot be used; the message names the file and the problem."""


def self_signed(data_dir: Path) -> TlsFiles:
    """The certificate and key in ``<data_dir>/tls/``, created (or renewed when expiring or missing a name)
    on first use, so clients that trust it once keep trusting it across restarts."""
    folder = Path(data_dir) / "tls"
    files = TlsFiles(folder / CERT_NAME, folder / KEY_NAME)
    if files.cert.exists() and files.key.exists() and _still_good(files.cert):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    _write(files.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()), mode=0o600)
    _write(files.cert, _certificate(key).public_bytes(serialization.Encoding.PEM), mode=0o644)
    return files


def given(cert: Path, key: Path) -> TlsFiles:
    """``--tls-cert``/``--tls-key``: check that both files exist and hold PEM data of the right kind."""
    files = TlsFiles(Path(cert), Path(key))
    for path, marker, what in ((files.cert, b"CERTIFICATE-----", "a PEM certificate"),
                               (files.key, b"PRIVATE KEY-----", "a PEM private key")):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TlsError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if marker not in data:
            raise TlsError(f"{path}: not {what}")
    try:  # what uvicorn will do, but with a clear message (and no passphrase prompt for an encrypted key)
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(files.cert, files.key, password=lambda: b"")
    except ssl.SSLError as exc:
        raise TlsError(f"{files.key} does not go with {files.cert}, or is encrypted (not supported): "
                       f"{exc.reason or exc}") from None
    return files


def _certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sc-server (localhost)")])
    now = dt.datetime.now(dt.timezone.utc)
    alt_names = [x509.DNSName(n) for n in DNS_NAMES] + [x509.IPAddress(ipaddress.ip_address(a)) for a in IP_ADDRESSES]
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _still_good(cert_path: Path) -> bool:
    """True when the stored certificate parses, is not about to expire and still names every address."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    expires = cert.not_valid_after_utc
    has_names = (set(DNS_NAMES) <= set(names.get_values_for_type(x509.DNSName))
                 and {ipaddress.ip_address(a) for a in IP_ADDRESSES} <= set(names.get_values_for_type(x509.IPAddress)))
    return has_names and expires - dt.datetime.now(dt.timezone.utc) > _RENEW_BEFORE


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically, created with ``mode`` (so a key is never readable by others)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
