"""Channel secrets (robot and webhook signing secrets, the SMTP password) are kept sealed at rest
with crm_common.sealed, under the service's JWT secret and a context naming what they belong to:
reading the database alone gives none of them, and the API never returns them."""
from __future__ import annotations

from crm_common import sealed


def seal(rt, plain: str | None, *context: str) -> bytes | None:
    if plain is None:
        return None
    return sealed.seal(plain.encode(), rt.settings.jwt_secret, "notify", *context)


def unseal(rt, stored, *context: str) -> str | None:
    """The plain secret; a value stored before sealing (a str) is read as it is."""
    if stored is None or isinstance(stored, str):
        return stored
    return sealed.unseal(bytes(stored), rt.settings.jwt_secret, "notify", *context).decode()
