"""Sealing a small stored value under a server secret: Fernet (AES-128-CBC with an HMAC-SHA256
tag) from the `cryptography` package, its key derived per context with HKDF, so a value opens
only with the same secret and context. Someone reading the database alone learns nothing of it.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Tampered(ValueError):
    """A sealed value that was changed, or sealed under another secret or context."""


def _fernet(secret: str, *context: str) -> Fernet:
    info = "\x00".join(("crm.sealed.v2", *context)).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: bytes, secret: str, *context: str) -> bytes:
    return _fernet(secret, *context).encrypt(plain)


def unseal(sealed: bytes, secret: str, *context: str) -> bytes:
    try:
        return _fernet(secret, *context).decrypt(sealed)
    except InvalidToken:
        raise Tampered("the sealed value does not match its secret, context or tag") from None


def unseal_any(sealed: bytes, secrets: list[str], *context: str) -> bytes:
    """Open a value sealed under any of `secrets` (key rotation: the new key first, the old ones after)."""
    for secret in secrets:
        try:
            return unseal(sealed, secret, *context)
        except Tampered:
            continue
    raise Tampered("the sealed value does not match any of the secrets, its context or its tag")
