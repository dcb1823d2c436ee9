"""Contact identity normalisation (DOMAIN §1): one number, one address, one company, however written."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers

from . import company_names
from .folding import fold

DEFAULT_REGION = "CN"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_WORDS = re.compile(r"[^\W_]+")

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


def mobile(phones: list[str]) -> str | None:
    """The first of E.164 `phones` that takes a text message (a mobile), or None: an SMS goes only there."""
    for value in phones:
        try:
            kind = phonenumbers.number_type(phonenumbers.parse(value, DEFAULT_REGION))
        except phonenumbers.NumberParseException:
            continue
        if kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            return value
    return None


def email(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if not _EMAIL.match(value):
        raise NotNormalisable(f"{raw!r} is not an email address")
    return value


def wechat_id(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().lower()


def person_name(raw: str) -> str:
    """`王 伟`, `王偉` and `王伟` are one name: folded like a company name, spaces and punctuation gone."""
    return "".join(_WORDS.findall(fold(raw)))


def company_key(raw: str | None) -> str:
    """The comparison key of a company name: `XX科技（北京）有限公司` and `北京XX科技有限公司` give `xx科技`."""
    return company_names.parse(raw).key


def identity_keys(phones=(), emails=(), wechat_ids=(), company: str = "", name: str = "") -> list[str]:
    """The keys under which a contact is unique, e.g. `phone:+8613800138000`.

    Same company together with the same contact name is an exact duplicate too (DOMAIN §1).
    """
    keys = [f"phone:{p}" for p in phones] + [f"email:{e}" for e in emails]
    keys += [f"wechat:{w}" for w in wechat_ids]
    company, name = company_key(company), person_name(name or "")
    if company and name:
        keys.append(f"company_contact:{company}/{name}")
    return list(dict.fromkeys(keys))
