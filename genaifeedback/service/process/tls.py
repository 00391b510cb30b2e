"""Server TLS and mutual TLS from PEM files, reloaded for new connections when the files change.

gRPC's dynamic server credentials call `CertificateFiles.fetch` before the handshake of every new
connection: on a C-core thread (not the event loop), holding the GIL, for grpc.aio servers too.
So the check is a stat of the files (microseconds); the files are read, parsed and checked only
when they changed. Connections already open keep the certificate they were made with.

A rotation that is half done (the certificate written, the key not yet; a file cut short) fails
the check: gRPC keeps the last good pair and the next connection checks again. Nothing here may
raise into gRPC: that would fail the handshake of a client that did nothing wrong.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

logger = logging.getLogger(__name__)

_Stamp = tuple[tuple[int, int, int, int], ...]


class TlsFileError(ValueError):
    """A certificate, key or CA file that cannot serve: unreadable, not PEM, or a key of another certificate."""


@dataclass(frozen=True)
class _Loaded:
    stamp: _Stamp
    config: grpc.ServerCertificateConfiguration
    subject: str
    not_after: float  # the serving certificate's expiry, seconds since the epoch


class CertificateFiles:
    """The serving certificate chain and key, and the CA that client certificates must chain to
    (with a CA, every client must present a certificate it signed)."""

    def __init__(self, cert_file: Path, key_file: Path, client_ca_file: Path | None = None):
        self.cert_file, self.key_file, self.client_ca_file = cert_file, key_file, client_ca_file
        self._paths = [p for p in (cert_file, key_file, client_ca_file) if p is not None]
        self._lock = threading.Lock()  # gRPC's handshakes and the metrics scrape check from their own threads
        try:
            self._current = self._load(self._stamp())  # at start, bad files stop the start
        except OSError as error:
            raise TlsFileError(f"cannot read {error.filename}: {error.strerror}") from None
        self._handed = self._current  # the configuration gRPC has
        self._failed: _Stamp | None = None  # the files' state last refused: logged once, not per connection

    @property
    def client_certificates_required(self) -> bool:
        return self.client_ca_file is not None

    @property
    def subject(self) -> str:
        return self._current.subject

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._current.config,
            self.fetch,  # type: ignore[arg-type]  # the stubs omit the None ("unchanged") that gRPC documents
            require_client_authentication=self.client_certificates_required,
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """gRPC's certificate-configuration fetcher: a new configuration when the files changed, None
        (keep the one you have) otherwise."""
        try:
            self.refresh()
        except Exception:  # raising into gRPC would fail an innocent client's handshake
            logger.exception("checking the TLS files failed; serving the previous certificate")
        with self._lock:
            if self._handed is self._current:
                return None
            self._handed = self._current
            return self._current.config

    def seconds_to_expiry(self) -> float:
        """Seconds until the certificate that the next connection gets expires (negative: expired)."""
        try:
            self.refresh()  # a scrape sees a rotation even before a client connects
        except Exception:  # a scrape must not fail; the last good certificate stays in force
            logger.exception("checking the TLS files failed")
        return self._current.not_after - time.time()

    def refresh(self) -> None:
        """Load the files if they changed since the last load, and they now make a valid pair."""
        with self._lock:
            try:
                stamp = self._stamp()
            except OSError as error:  # a file replaced by rename, caught between unlink and link
                self._refused(None, f"cannot read {error.filename}: {error.strerror}")
                return
            if stamp == self._current.stamp:
                return
            try:
                loaded = self._load(stamp)
            except (OSError, TlsFileError) as error:
                self._refused(stamp, str(error))
                return
            self._current, self._failed = loaded, None
        logger.info(
            "TLS files changed: new connections get %s, valid until %s",
            loaded.subject,
            time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(loaded.not_after)),
        )

    def _refused(self, stamp: _Stamp | None, reason: str) -> None:
        if stamp is None or stamp != self._failed:
            logger.warning("TLS files not (re)loaded, new connections keep the previous certificate: %s", reason)
        self._failed = stamp

    def _stamp(self) -> _Stamp:
        # stat follows symlinks: a Kubernetes secret volume swaps its ..data link, which changes the inode.
        stats = [os.stat(path) for path in self._paths]
        return tuple((s.st_mtime_ns, s.st_size, s.st_ino, s.st_dev) for s in stats)

    def _load(self, stamp: _Stamp) -> _Loaded:
        chain_pem = self.cert_file.read_bytes()
        key_pem = self.key_file.read_bytes()
        ca_pem = self.client_ca_file.read_bytes() if self.client_ca_file else None
        try:
            chain = x509.load_pem_x509_certificates(chain_pem)
        except ValueError:
            raise TlsFileError(f"{self.cert_file}: no PEM certificate") from None
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError):
            raise TlsFileError(f"{self.key_file}: no unencrypted PEM private key") from None
        if key.public_key() != chain[0].public_key():
            raise TlsFileError(f"{self.key_file} is not the key of the first certificate in {self.cert_file}")
        if ca_pem is not None:
            try:
                x509.load_pem_x509_certificates(ca_pem)
            except ValueError:
                raise TlsFileError(f"{self.client_ca_file}: no PEM certificate") from None
        config = grpc.ssl_server_certificate_configuration([(key_pem, chain_pem)], root_certificates=ca_pem)
        return _Loaded(stamp, config, chain[0].subject.rfc4514_string(), chain[0].not_valid_after_utc.timestamp())
