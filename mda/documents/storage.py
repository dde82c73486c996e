"""Where document bytes live: encrypted files under the instance folder, each named by a random id.

A storage has three operations (:class:`Storage`); an S3-compatible object store can implement the
same three later. Files are written before the commit (the row that names them is part of the unit
of work) and removed when that unit of work rolls back; destruction removes them only after the
commit, so a failed destruction never leaves a row pointing at nothing (see :mod:`.services`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class StorageError(RuntimeError):
    """Stored bytes are missing or cannot be decrypted with the configured keys."""


class Storage(Protocol):
    """What a document store offers: put bytes under a fresh key, read them back, delete them."""

    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class EncryptedDiskStorage:
    """Fernet-encrypted files in *directory* (the first key encrypts, every key decrypts: rotation as for TOTP)."""

    def __init__(self, directory: str | Path, keys: list[str]):
        self.directory = Path(directory)
        self._ring = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def _path(self, key: str) -> Path:
        if not key.isalnum():  # keys are ours (hex); anything else is not a file of this store
            raise StorageError("ongeldige opslagsleutel")
        return self.directory / key[:2] / key

    def put(self, data: bytes) -> str:
        """Store *data* encrypted under a fresh random key; the file appears whole or not at all."""
        key = secrets.token_hex(16)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._ring.encrypt(data))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        """The plain bytes stored under *key*."""
        try:
            return self._ring.decrypt(self._path(key).read_bytes())
        except FileNotFoundError:
            raise StorageError("document niet gevonden in de opslag") from None
        except InvalidToken:
            raise StorageError("document kan met geen van de sleutels worden ontsleuteld") from None

    def delete(self, key: str) -> None:
        """Remove the file of *key* (nothing when it is already gone)."""
        self._path(key).unlink(missing_ok=True)

    def rotate(self, key: str) -> None:
        """Re-encrypt the file of *key* with the newest key (``flask --app mda rotate-document-key``), atomically."""
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(self._ring.rotate(path.read_bytes()))
        tmp.chmod(0o600)
        os.replace(tmp, path)


def from_config(config) -> EncryptedDiskStorage:
    """The application's document storage."""
    return EncryptedDiskStorage(config["DOCUMENT_DIR"], config["DOCUMENT_KEYS"])
