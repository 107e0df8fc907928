"""Deploy keys at rest: the only place one is sealed or opened.

- AES-256-GCM with a random 96-bit nonce per value, stored as base64(nonce + ciphertext-with-tag).
- Associated data = ``byod:v1:<owner external id>:<field name>``: a ciphertext copied to another
  user's row, or moved to another field, fails authentication instead of decrypting.
- The key ring is ``BYOD_ENCRYPTION_KEYS`` (``(key_id, 32 bytes)`` pairs, validated in
  ``byodsite.env``): the first key seals, every key opens (by key id).
- Rotation (re-sealing every stored key on the first key of the ring) is a workflow that writes
  Events: `byod.services.key_rotation`, which seals and opens through this module.

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
from django.views.decorators.debug import sensitive_variables

from byod.conf import conf
from byod.errors import KeyUnreadable, NoDeployKey
from byod.models import Connection

NONCE_BYTES = 12
KEY_FIELD = "deploy_key"  # the field name bound into a deploy key's associated data
_AAD_VERSION = "byod:v1"


@dataclass(frozen=True)
class Sealed:
    """An encrypted value as stored: the id of the key that sealed it and base64 text."""

    key_id: str
    ciphertext: str

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r}, ciphertext=<{len(self.ciphertext)} chars>)"


def key_ring() -> list[tuple[str, bytes]]:
    return list(conf().encryption_keys)


def current_key_id() -> str:
    """The id of the key that seals new values (the first of the ring)."""
    return key_ring()[0][0]


def _aad(owner: uuid.UUID | str, field_name: str) -> bytes:
    return f"{_AAD_VERSION}:{uuid.UUID(str(owner))}:{field_name}".encode()


@sensitive_variables("plaintext")
def encrypt(plaintext: str, *, owner: uuid.UUID | str, field: str) -> Sealed:
    """Seal `plaintext` for `owner` (a user's external id) and `field` with the first key."""
    key_id, key = key_ring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(owner, field))
    return Sealed(key_id=key_id, ciphertext=base64.b64encode(nonce + sealed).decode("ascii"))


@sensitive_variables("plaintext")
def decrypt(sealed: Sealed, *, owner: uuid.UUID | str, field: str) -> str:
    """Open a value sealed by :func:`encrypt` for the same owner and field.

    Raises KeyUnreadable when the key id is unknown, the text is malformed, or the
    authentication fails (tampered, or copied from another row or field).
    """
    key = dict(key_ring()).get(sealed.key_id)
    if key is None:
        raise KeyUnreadable(
            f"The value was sealed with key id {sealed.key_id!r}, which is not in "
            "BYOD_ENCRYPTION_KEYS. Add that key back to the ring (after the current one) "
            "to read it."
        )
    try:
        raw = base64.b64decode(sealed.ciphertext, validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnreadable("The stored ciphertext is not valid base64.") from None
    if len(raw) < NONCE_BYTES + 16:
        raise KeyUnreadable("The stored ciphertext is too short to be one of ours.")
    nonce, body = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key).decrypt(nonce, body, _aad(owner, field))
    except InvalidTag:
        raise KeyUnreadable(
            f"The stored {field} failed authentication: it was altered, or it belongs to "
            "another user or field."
        ) from None
    return plaintext.decode()


# --- deploy keys of connections ------------------------------------------------------------------


@sensitive_variables("deploy_key")
def seal_deploy_key(deploy_key: str, *, owner: uuid.UUID | str) -> Sealed:
    """Seal a user's deploy key for storing on their connection."""
    return encrypt(deploy_key.strip(), owner=owner, field=KEY_FIELD)


def open_deploy_key(connection: Connection) -> str:
    """The connection's deploy key, in plain text. The only place a stored key is opened.

    Raises NoDeployKey when none is stored, KeyUnreadable when it cannot be opened.
    """
    if not connection.has_key:
        raise NoDeployKey(
            f"Connection {connection.pk} has no deploy key (it was disconnected); "
            "the user must connect again."
        )
    return decrypt(
        Sealed(key_id=connection.key_id, ciphertext=connection.key_ciphertext),
        owner=connection.user.external_id,
        field=KEY_FIELD,
    )
