"""Deploy keys at rest: AES-256-GCM with a key ring and associated data bound to the row.

- A random 96-bit nonce per value; stored as base64(nonce + ciphertext-with-tag).
- Associated data = ``byod:v1:<owner external id>:<field name>``: a ciphertext copied to another
  user's row, or moved to another field, fails authentication instead of decrypting.
- The key ring comes from ``settings.BYOD_ENCRYPTION_KEYS`` (list of ``(key_id, 32 bytes)``,
  validated in ``byodsite.env``): the first key encrypts, every key decrypts (by key id).

Errors never carry the plaintext or any key material.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12
_AAD_VERSION = "byod:v1"


class DecryptionError(Exception):
    """A stored secret could not be decrypted. The message names the reason, never the data."""


@dataclass(frozen=True)
class Sealed:
    """An encrypted value as stored: the id of the key that sealed it and base64 text."""

    key_id: str
    ciphertext: str

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r}, ciphertext=<{len(self.ciphertext)} chars>)"


def key_ring() -> list[tuple[str, bytes]]:
    ring = list(settings.BYOD_ENCRYPTION_KEYS)
    if not ring:
        raise DecryptionError("BYOD_ENCRYPTION_KEYS is empty; configure at least one key.")
    return ring


def current_key_id() -> str:
    """The id of the key that encrypts new values (the first of the ring)."""
    return key_ring()[0][0]


def _aad(owner: uuid.UUID | str, field: str) -> bytes:
    return f"{_AAD_VERSION}:{uuid.UUID(str(owner))}:{field}".encode()


def encrypt(plaintext: str, *, owner: uuid.UUID | str, field: str) -> Sealed:
    """Seal ``plaintext`` for ``owner`` (a user's external id) and ``field`` with the first key."""
    key_id, key = key_ring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(owner, field))
    return Sealed(key_id=key_id, ciphertext=base64.b64encode(nonce + sealed).decode("ascii"))


def decrypt(sealed: Sealed, *, owner: uuid.UUID | str, field: str) -> str:
    """Open a value sealed by :func:`encrypt` for the same owner and field.

    Raises DecryptionError when the key id is unknown, the text is malformed, or the
    authentication fails (tampered, or copied from another row or field).
    """
    keys = dict(key_ring())
    key = keys.get(sealed.key_id)
    if key is None:
        raise DecryptionError(
            f"The value was encrypted with key id {sealed.key_id!r}, which is not in "
            "BYOD_ENCRYPTION_KEYS. Add that key back to the ring (after the current one) "
            "to read it."
        )
    try:
        raw = base64.b64decode(sealed.ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("The stored ciphertext is not valid base64.") from None
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("The stored ciphertext is too short to be one of ours.")
    nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key).decrypt(nonce, body, _aad(owner, field))
    except InvalidTag:
        raise DecryptionError(
            f"The stored {field} failed authentication: it was altered, or it belongs to "
            "another user or field. Ask the user to enter it again."
        ) from None
    return plaintext.decode()


def needs_rotation(key_id: str) -> bool:
    """True when a value sealed with ``key_id`` is not on the current (first) key."""
    return key_id != current_key_id()
