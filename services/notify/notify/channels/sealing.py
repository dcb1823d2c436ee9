"""Channel secrets (robot URLs, which carry their credential, robot and webhook signing secrets, the SMTP
password) are kept sealed at rest with crm_common.sealed, under notify's own key and a context naming
what they belong to: reading the database alone gives none of them, the API never returns them, and
the JWT secret every service shares does not open them.

`NOTIFY_SEALING_KEY` holds one key or several, comma-separated: the first seals every new value,
each opens. To rotate, put the new key first and keep the old after it; run
`python -m notify.migrations.reseal` to seal every stored value under the new key; then drop the old
one. Values sealed before notify had a key of its own (under the JWT secret) still open, until resealed.
Dev and test without the setting seal under the JWT secret.
"""
from __future__ import annotations

from crm_common import sealed, secrets_policy


def keys(rt) -> list[str]:
    """The keys that open a value, the sealing one first."""
    own = secrets_policy.sealing_keys(rt.settings.value("NOTIFY_SEALING_KEY"))
    return [*own, rt.settings.jwt_secret] if own else [rt.settings.jwt_secret]


def seal(rt, plain: str | None, *context: str) -> bytes | None:
    if plain is None:
        return None
    return sealed.seal(plain.encode(), keys(rt)[0], "notify", *context)


def unseal(rt, stored, *context: str) -> str | None:
    """The plain value; one stored before sealing (a str) is read as it is."""
    if stored is None or isinstance(stored, str):
        return stored
    return sealed.unseal_any(bytes(stored), keys(rt), "notify", *context).decode()


def reseal(rt, stored, *context: str) -> bytes | None:
    """`stored` sealed under the current key (None stays None)."""
    return seal(rt, unseal(rt, stored, *context), *context)
