from __future__ import annotations

import base64
import uuid

import pytest

from byod import keys as crypto
from byod.errors import KeyUnreadable as DecryptionError
from byod.keys import Sealed
from tests.core.conftest import new_key
from tests.fixtures.canary import assert_no_canary, cloud_key

OWNER = uuid.uuid4()
OTHER = uuid.uuid4()
KEY = cloud_key("happy-otter-123")


def test_it_round_trips_a_key(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    assert sealed.key_id == "k1"
    assert_no_canary(sealed.ciphertext)
    assert crypto.decrypt(sealed, owner=OWNER, field="deploy_key") == KEY


def test_it_uses_a_fresh_nonce_for_every_value(key_ring) -> None:
    key_ring(new_key("k1"))
    first = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    second = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    assert first.ciphertext != second.ciphertext
    nonces = {base64.b64decode(s.ciphertext)[:12] for s in (first, second)}
    assert len(nonces) == 2


@pytest.mark.parametrize("position", [0, 5, 12, 20, -1])
def test_it_refuses_a_tampered_ciphertext(key_ring, position: int) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    raw = bytearray(base64.b64decode(sealed.ciphertext))
    raw[position] ^= 0x01
    tampered = Sealed(sealed.key_id, base64.b64encode(bytes(raw)).decode())
    with pytest.raises(DecryptionError, match="failed authentication") as caught:
        crypto.decrypt(tampered, owner=OWNER, field="deploy_key")
    assert_no_canary(caught.value)


def test_it_refuses_a_ciphertext_copied_to_another_owner(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    with pytest.raises(DecryptionError, match="another user or field"):
        crypto.decrypt(sealed, owner=OTHER, field="deploy_key")


def test_it_refuses_a_ciphertext_moved_to_another_field(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    with pytest.raises(DecryptionError):
        crypto.decrypt(sealed, owner=OWNER, field="other_field")


def test_it_refuses_an_unknown_key_id_and_says_how_to_fix(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    key_ring(new_key("k2"))
    with pytest.raises(DecryptionError, match="'k1', which is not in BYOD_ENCRYPTION_KEYS"):
        crypto.decrypt(sealed, owner=OWNER, field="deploy_key")


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode(), ""])
def test_it_refuses_malformed_ciphertext(key_ring, text: str) -> None:
    key_ring(new_key("k1"))
    with pytest.raises(DecryptionError):
        crypto.decrypt(Sealed("k1", text), owner=OWNER, field="deploy_key")


def test_it_refuses_a_ciphertext_under_a_different_key_with_the_same_id(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    key_ring(new_key("k1"))
    with pytest.raises(DecryptionError, match="failed authentication"):
        crypto.decrypt(sealed, owner=OWNER, field="deploy_key")


def test_it_encrypts_with_the_first_key_and_decrypts_with_any(key_ring) -> None:
    old, new = new_key("old"), new_key("new")
    key_ring(old)
    sealed_old = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    key_ring(new, old)
    sealed_new = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    assert (sealed_old.key_id, sealed_new.key_id) == ("old", "new")
    assert crypto.decrypt(sealed_old, owner=OWNER, field="deploy_key") == KEY
    assert crypto.decrypt(sealed_new, owner=OWNER, field="deploy_key") == KEY
    assert crypto.current_key_id() == "new"


def test_it_keeps_the_ciphertext_out_of_repr(key_ring) -> None:
    key_ring(new_key("k1"))
    sealed = crypto.encrypt(KEY, owner=OWNER, field="deploy_key")
    assert sealed.ciphertext not in repr(sealed)
