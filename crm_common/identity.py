"""Contact identity normalisation (DOMAIN §1): one number, one address, one company, however written."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers

from . import regions

DEFAULT_REGION = "CN"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_BRACKETED = re.compile(r"[(\[{【〔<《][^)\]}】〕>》]*[)\]}】〕>》]")
_WORDS = re.compile(r"[^\W_]+")
# Chinese legal forms, longest first so 股份有限公司 goes before 有限公司.
_CN_LEGAL = ("股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "集团公司", "分公司",
             "总公司", "集团", "公司")
_LATIN_LEGAL = {"co", "ltd", "limited", "inc", "incorporated", "llc", "gmbh", "corp", "corporation", "company",
                "plc", "ag", "sa", "se", "bv", "pte", "pty", "group", "holdings", "lp", "llp"}


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
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    if not _EMAIL.match(value):
        raise NotNormalisable(f"{raw!r} is not an email address")
    return value


def wechat_id(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().lower()


def person_name(raw: str) -> str:
    return "".join(_WORDS.findall(unicodedata.normalize("NFKC", raw).casefold()))


def company_key(raw: str | None) -> str:
    """The comparison key of a company name: `XX科技（北京）有限公司` and `北京XX科技有限公司` give `xx科技`."""
    if not raw:
        return ""
    text = _BRACKETED.sub(" ", unicodedata.normalize("NFKC", raw).casefold())
    words = _WORDS.findall(text)
    while len(words) > 1 and words[-1] in _LATIN_LEGAL:
        words.pop()
    while len(words) > 1 and words[0] in regions.LATIN:
        words.pop(0)
    key = "".join(words)
    key = _strip_suffixes(key, _CN_LEGAL)
    for region in regions.CHINESE:
        if key.startswith(region) and len(key) > len(region):
            key = key[len(region):]
            break
    return key


def _strip_suffixes(key: str, suffixes) -> str:
    stripped = True
    while stripped:
        stripped = False
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, stripped = key[: -len(suffix)], True
                break
    return key


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
