"""Contact identity normalisation (DOMAIN §1): one number, one address, however written."""
from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "CN"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotNormalisable(ValueError):
    """The value cannot be read as a phone number or email address."""


def phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164: `138 0013 8000`, `+86-13800138000` and `0086 13800138000` are one number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise NotNormalisable(f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise NotNormalisable(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(raw: str) -> str:
    value = raw.strip().lower()
    if not _EMAIL.match(value):
        raise NotNormalisable(f"{raw!r} is not an email address")
    return value


def wechat_id(raw: str) -> str:
    return raw.strip().lower()


def identity_keys(phones=(), emails=(), wechat_ids=()) -> list[str]:
    """The keys under which a contact is unique, e.g. `phone:+8613800138000`."""
    keys = [f"phone:{p}" for p in phones] + [f"email:{e}" for e in emails]
    keys += [f"wechat:{w}" for w in wechat_ids]
    return list(dict.fromkeys(keys))
