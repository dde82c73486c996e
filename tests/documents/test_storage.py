"""The encryption of stored documents: AES-GCM under the keys of MDA_DOCUMENT_KEYS, rotation, tampering."""

import pytest
from cryptography.fernet import Fernet

from mda.documents.storage import Cipher, StorageError


def test_the_first_key_encrypts_every_key_decrypts_and_rotation_moves_to_the_newest():
    """Is a value written under the old key read while both keys are configured, rewritten under the new key by
    rotate, and then unreadable with the old key alone (and the new key alone reads it)?"""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written = Cipher([old]).encrypt(b"Proces-verbaal (fictief)")
    both = Cipher([new, old])
    assert both.decrypt(written) == b"Proces-verbaal (fictief)"
    rotated = both.rotate(written)
    assert rotated != written and both.rotate(rotated) == rotated
    assert Cipher([new]).decrypt(rotated) == b"Proces-verbaal (fictief)"
    with pytest.raises(StorageError):
        Cipher([old]).decrypt(rotated)


def test_a_changed_byte_is_refused_and_no_plain_text_is_stored():
    """Is a stored value with one bit flipped refused (authenticated encryption), and is the plain text absent?"""
    key = Fernet.generate_key().decode()
    written = bytearray(Cipher([key]).encrypt(b"MARKER-GEHEIM" * 10))
    assert b"MARKER-GEHEIM" not in written
    written[-5] ^= 1
    with pytest.raises(StorageError):
        Cipher([key]).decrypt(bytes(written))


def test_documents_stored_as_fernet_tokens_by_the_first_version_are_still_read():
    """Can a document stored before the switch to AES-GCM (a Fernet token) still be read, and does rotation
    rewrite it in the new form?"""
    key = Fernet.generate_key().decode()
    legacy = Fernet(key.encode()).encrypt(b"oude opslag")
    cipher = Cipher([key])
    assert cipher.decrypt(legacy) == b"oude opslag"
    assert cipher.rotate(legacy).startswith(Cipher.MAGIC)


def test_a_value_moved_to_another_storage_key_is_refused():
    """Is a stored value read back under the key it was written for, and refused under any other (its tag binds
    the storage key, so a blob swapped between two documents' rows is caught without a digest)?"""
    key = Fernet.generate_key().decode()
    cipher = Cipher([key])
    written = cipher.encrypt(b"brief school (fictief)", b"a" * 32)
    assert cipher.open(written, b"a" * 32, None) == b"brief school (fictief)"
    with pytest.raises(StorageError):
        cipher.open(written, b"b" * 32, None)


def test_values_without_a_bound_key_are_still_checked_against_the_digest():
    """Is a value of the older forms (AES-GCM without the storage key, Fernet) still compared with the digest
    recorded at upload, refused when it differs, and moved to the bound form by rotation?"""
    import hashlib
    import secrets

    key = Fernet.generate_key().decode()
    cipher = Cipher([key])
    key_id, aead = cipher._keys[0]
    nonce, header = secrets.token_bytes(12), Cipher.UNBOUND + key_id
    unbound = header + nonce + aead.encrypt(nonce, b"oud formaat", header)
    legacy = Fernet(key.encode()).encrypt(b"oud formaat")
    right, wrong = hashlib.sha256(b"oud formaat").hexdigest(), hashlib.sha256(b"iets anders").hexdigest()
    for old in (unbound, legacy):
        assert not cipher.bound(old) and cipher.open(old, b"k", right) == b"oud formaat"
        with pytest.raises(StorageError, match="gewijzigd"):
            cipher.open(old, b"k", wrong)
        rotated = cipher.rotate(old, b"k")
        assert cipher.bound(rotated) and cipher.open(rotated, b"k", wrong) == b"oud formaat"
