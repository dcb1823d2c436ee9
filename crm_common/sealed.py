"""Sealing a small stored value with the standard library only (no cryptography package here).

A value is XORed with an HMAC-SHA256 keystream (HMAC as a PRF in counter mode) under a key
derived from a server secret and the value's context, with a random nonce, and carries an
HMAC tag. Someone reading the database alone, without the server secret, learns nothing of it.
"""
from __future__ import annotations

import hashlib
import hmac
import os

NONCE_BYTES, TAG_BYTES = 16, 32


class Tampered(ValueError):
    """A sealed value that was changed, or sealed under another secret or context."""


def _key(secret: str, *context: str) -> bytes:
    return hmac.new(secret.encode(), "\x00".join(("crm.sealed.v1", *context)).encode(), hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, b"stream" + nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
              for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def seal(plain: bytes, secret: str, *context: str) -> bytes:
    key, nonce = _key(secret, *context), os.urandom(NONCE_BYTES)
    body = _xor(plain, _keystream(key, nonce, len(plain)))
    tag = hmac.new(key, b"tag" + nonce + body, hashlib.sha256).digest()
    return nonce + tag + body


def unseal(sealed: bytes, secret: str, *context: str) -> bytes:
    key = _key(secret, *context)
    nonce, tag, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:NONCE_BYTES + TAG_BYTES], \
        sealed[NONCE_BYTES + TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.new(key, b"tag" + nonce + body, hashlib.sha256).digest()):
        raise Tampered("the sealed value does not match its tag")
    return _xor(body, _keystream(key, nonce, len(body)))


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")
