"""Sealed values: readable back with the secret and context, and only with them."""
import pytest

from crm_common import sealed


def test_a_sealed_value_opens_only_with_its_secret_and_context():
    plain = b'{"api_key": "ck_secret"}'
    box = sealed.seal(plain, "server-secret", "user:u1", "key-1")
    assert b"ck_secret" not in box and sealed.unseal(box, "server-secret", "user:u1", "key-1") == plain
    assert sealed.seal(plain, "server-secret", "user:u1", "key-1") != box  # a fresh nonce every time
    for secret, context in (("other-secret", ("user:u1", "key-1")), ("server-secret", ("user:u2", "key-1"))):
        with pytest.raises(sealed.Tampered):
            sealed.unseal(box, secret, *context)
    with pytest.raises(sealed.Tampered):
        sealed.unseal(box[:-5] + bytes([box[-5] ^ 1]) + box[-4:], "server-secret", "user:u1", "key-1")
    assert sealed.unseal(sealed.seal(b"", "s", "c"), "s", "c") == b""
