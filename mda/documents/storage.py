"""Where document bytes live, always encrypted with ``MDA_DOCUMENT_KEYS`` (:class:`Cipher`): in the database (default)
or in files under a folder (``MDA_DOCUMENT_STORAGE=disk``).

A storage has four operations (:class:`Storage`), each given the unit of work's session so that the bytes follow
its transaction: :class:`DatabaseStorage` writes and deletes rows in that very transaction (the upload, its audit
row and its bytes commit together; destruction takes the bytes in the same commit as the audit row that records
it), :class:`EncryptedDiskStorage` writes the file before the commit, removes it again when the unit of work rolls
back, and unlinks a destroyed file only after the commit. An S3-compatible object store would implement the same
four methods the way the disk store does (docs/documents.md says what it would take).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, delete, select

from mda.documents.models import DocumentBlob

_WRITTEN = "mda_documents_written"  # files written in this unit of work: removed again if it rolls back
_DESTROYED = "mda_documents_destroyed"  # files of destroyed documents: removed once the unit of work commits
_SQLITE_SCRUB = "mda_documents_scrub"  # blobs deleted on SQLite: the WAL is truncated after the commit


class StorageError(RuntimeError):
    """Stored bytes are missing or cannot be decrypted with the configured keys."""


class Storage(Protocol):
    """What a document store offers; *db* is the unit of work the change belongs to."""

    def put(self, db: Session, data: bytes) -> str:
        """Store *data* encrypted under a fresh random key (gone again if *db* rolls back)."""

    def get(self, db: Session, key: str, sha256: str | None = None) -> bytes:
        """The plain bytes stored under *key*, their integrity checked once (:meth:`Cipher.decrypt`, and *sha256*
        for values written before the GCM tag bound them to *key*), or :class:`StorageError`."""

    def delete(self, db: Session, key: str) -> None:
        """Remove the bytes of *key* as part of *db*'s unit of work (never before it commits)."""

    def rotate(self, db: Session, key: str) -> None:
        """Re-encrypt the bytes of *key* with the newest key."""


class Cipher:
    """Authenticated encryption of document bytes with the keys of ``MDA_DOCUMENT_KEYS`` (newest first).

    AES-256-GCM, its key derived (HKDF-SHA256) from each Fernet key in the ring: a 10 MB document encrypts in
    milliseconds, where Fernet (AES-CBC + HMAC + base64) took a quarter of a second and stored a third more. A
    stored value is ``MDA1 || key id (8) || nonce (12) || ciphertext+tag``; the key id picks the key, so every key of
    the ring decrypts what it encrypted and the first encrypts (rotation as for the TOTP secrets). Values written
    as Fernet tokens by the first version are still read (and rewritten by ``rotate-document-key``).

    The tag also covers a *context*, the storage key the value is kept under (``MDA2``): a value moved to another
    document's row or file does not decrypt, so the tag alone proves it is the bytes stored for this document and
    no digest of the plain text needs computing. ``MDA1`` values (and Fernet tokens) did not bind their place;
    :meth:`bound` tells the storage to compare those with the digest in the document's row.
    Decryption slices a memoryview of the stored value, so the ciphertext is not copied before AES-GCM reads it.
    """

    MAGIC = b"MDA2"
    UNBOUND = b"MDA1"  # AES-GCM without the context, as written until December 2026

    def __init__(self, keys: list[str]):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        raw = [k.encode() if isinstance(k, str) else k for k in keys]
        self._fernet = MultiFernet([Fernet(k) for k in raw])  # also checks that every key is a Fernet key
        self._keys: list[tuple[bytes, AESGCM]] = []
        for key in raw:
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mda-document-v1").derive(key)
            self._keys.append((hashlib.sha256(derived).digest()[:8], AESGCM(derived)))

    def encrypt(self, data: bytes, context: bytes = b"") -> bytes:
        """*data* encrypted with the newest key, bound to *context* (the storage key)."""
        key_id, aead = self._keys[0]
        nonce = secrets.token_bytes(12)
        header = self.MAGIC + key_id
        return header + nonce + aead.encrypt(nonce, data, header + context)

    def bound(self, token: bytes | memoryview) -> bool:
        """Whether *token*'s tag covers its context, so that :meth:`decrypt` alone proves where it belongs."""
        return bytes(token[:4]) == self.MAGIC

    def decrypt(self, token: bytes | memoryview, context: bytes = b"") -> bytes:
        """The plain text of *token* (stored under *context*); :class:`StorageError` if no key opens it or the tag
        does not match (a changed byte, or a value moved from elsewhere)."""
        view = memoryview(token)
        magic = bytes(view[:4])
        if magic not in (self.MAGIC, self.UNBOUND):
            try:
                return self._fernet.decrypt(bytes(view))
            except InvalidToken:
                raise StorageError("document kan met geen van de sleutels worden ontsleuteld") from None
        header, nonce = bytes(view[:12]), bytes(view[12:24])
        aad = header + context if magic == self.MAGIC else header
        for key_id, aead in self._keys:
            if key_id == header[4:]:
                try:
                    return aead.decrypt(nonce, view[24:], aad)
                except InvalidTag:
                    break
        raise StorageError("document kan met geen van de sleutels worden ontsleuteld")

    def rotate(self, token: bytes, context: bytes = b"") -> bytes:
        """*token* encrypted with the newest key and bound to *context* (unchanged when it already is)."""
        token = bytes(token)
        if token.startswith(self.MAGIC) and token[4:12] == self._keys[0][0]:
            return token
        return self.encrypt(self.decrypt(token, context), context)

    def open(self, token: bytes | memoryview, context: bytes, sha256: str | None) -> bytes:
        """The plain text of a stored value, its integrity checked once: by the tag when it binds *context*,
        otherwise (older values) also against the hex *sha256* recorded at upload, when given."""
        data = self.decrypt(token, context)
        digest_needed = sha256 is not None and not self.bound(token)
        if digest_needed and not hmac.compare_digest(hashlib.sha256(data).hexdigest(), sha256):
            raise StorageError("document in de opslag is gewijzigd")
        return data


class DatabaseStorage:
    """Encrypted blobs in the ``document_blob`` table, in the caller's transaction (the default).

    On SQLite the connection deletes with ``secure_delete`` (freed pages are zeroed) and, after a commit that
    destroyed a blob, the write-ahead log is checkpointed and truncated, so no copy of the ciphertext stays in
    the database file or its WAL. On PostgreSQL the deleted row's space is reclaimed by (auto)vacuum; the key
    that could decrypt it is the application's, not the database's.
    """

    name = "database"

    def __init__(self, keys: list[str]):
        self._cipher = Cipher(keys)

    def put(self, db: Session, data: bytes) -> str:
        from mda.core.timeutil import utcnow

        key = secrets.token_hex(16)
        db.add(DocumentBlob(key=key, data=self._cipher.encrypt(data, key.encode()), created_at=utcnow()))
        db.flush()
        return key

    def get(self, db: Session, key: str, sha256: str | None = None) -> bytes:
        token = db.exec(select(DocumentBlob.data).where(DocumentBlob.key == key)).first()
        if token is None:
            raise StorageError("document niet gevonden in de opslag")
        return self._cipher.open(token, key.encode(), sha256)

    def delete(self, db: Session, key: str) -> None:
        bind = db.get_bind()
        if bind.dialect.name == "sqlite":
            db.connection().execute(text("PRAGMA secure_delete=ON"))
            db.info[_SQLITE_SCRUB] = bind
        db.exec(delete(DocumentBlob).where(DocumentBlob.key == key))
        db.flush()

    def rotate(self, db: Session, key: str) -> None:
        blob = db.get(DocumentBlob, key)
        if blob is None:
            raise StorageError("document niet gevonden in de opslag")
        blob.data = self._cipher.rotate(blob.data, key.encode())
        db.add(blob)
        db.flush()


class EncryptedDiskStorage:
    """Encrypted (:class:`Cipher`) files in *directory*, each named by a random id (``MDA_DOCUMENT_STORAGE=disk``)."""

    name = "disk"

    def __init__(self, directory: str | Path, keys: list[str]):
        self.directory = Path(directory)
        self._cipher = Cipher(keys)

    def _path(self, key: str) -> Path:
        if not key.isalnum():  # keys are ours (hex); anything else is not a file of this store
            raise StorageError("ongeldige opslagsleutel")
        return self.directory / key[:2] / key

    def put(self, db: Session, data: bytes) -> str:
        """Write the file whole or not at all; it is removed again if *db* rolls back."""
        key = secrets.token_hex(16)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._cipher.encrypt(data, key.encode()))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        db.info.setdefault(_WRITTEN, []).append(path)
        return key

    def get(self, db: Session, key: str, sha256: str | None = None) -> bytes:
        try:
            return self._cipher.open(self._path(key).read_bytes(), key.encode(), sha256)
        except FileNotFoundError:
            raise StorageError("document niet gevonden in de opslag") from None

    def delete(self, db: Session, key: str) -> None:
        """Unlink the file once *db* commits: a failed destruction never leaves a row pointing at nothing."""
        db.info.setdefault(_DESTROYED, []).append(self._path(key))

    def rotate(self, db: Session, key: str) -> None:
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(self._cipher.rotate(path.read_bytes(), key.encode()))
        tmp.chmod(0o600)
        os.replace(tmp, path)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DESTROYED, []):
        path.unlink(missing_ok=True)
    bind = session.info.pop(_SQLITE_SCRUB, None)
    if bind is not None:
        with bind.connect() as conn:  # the WAL still holds the pages as they were before the delete
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_DESTROYED, None)
    session.info.pop(_SQLITE_SCRUB, None)
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)


def from_config(config) -> Storage:
    """The application's document storage: ``DOCUMENT_STORAGE`` "database" (default) or "disk"."""
    if config.get("DOCUMENT_STORAGE", "database") == "disk":
        return EncryptedDiskStorage(config["DOCUMENT_DIR"], config["DOCUMENT_KEYS"])
    return DatabaseStorage(config["DOCUMENT_KEYS"])
