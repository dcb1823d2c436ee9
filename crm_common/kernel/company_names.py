"""Company names (DOMAIN §1): the comparison key, the brand (字号) and how the brand sounds.

`浙江省杭州市西湖区华信电子科技有限公司北京分公司` keys as `华信电子科技`, brand `华信`, sound `huaxin`;
`Huaxin Electronics Co., Ltd.` keys as `huaxinelectronics`, brand `huaxin`, sound `huaxin`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pypinyin import lazy_pinyin

from . import divisions
from .folding import fold

_BRACKETED = re.compile(r"[(\[{【〔<《][^)\]}】〕>》]*[)\]}】〕>》]")
_WORDS = re.compile(r"[^\W_]+")
_CN_TAIL = sorted(("股份有限公司 有限责任公司 集团股份有限公司 集团有限公司 股份合作公司 有限公司 股份公司 集团公司 总公司 "
                   "合伙企业 个人独资企业 集团 公司 分公司 办事处 代表处 分部 分厂 分店 分行 支行 营业部 分中心").split(),
                  key=len, reverse=True)
_LATIN_TAIL = {"co", "ltd", "limited", "inc", "incorporated", "llc", "gmbh", "corp", "corporation", "company", "plc",
               "ag", "sa", "se", "bv", "pte", "pty", "group", "holdings", "lp", "llp", "branch", "office", "rep",
               "representative"}


@dataclass(frozen=True, slots=True)
class CompanyName:
    key: str     # compared exactly: same key anywhere is a possible duplicate
    brand: str   # the key less its trailing trade words; '' when too short to compare
    sound: str   # the brand in pinyin without tones (a Latin brand as it is)


@lru_cache(maxsize=1)
def trade_words() -> tuple[tuple[str, ...], frozenset[str]]:
    """(Chinese trade words longest first, Latin trade words), from data/trade_words.txt."""
    text = resources.files("crm_common.kernel").joinpath("data/trade_words.txt").read_text(encoding="utf-8")
    words = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    latin = frozenset(w for w in words if w.isascii())
    return tuple(sorted(set(words) - latin, key=len, reverse=True)), latin


@lru_cache(maxsize=4096)  # intake parses one name several times per submission
def parse(raw: str | None) -> CompanyName:
    if not raw:
        return CompanyName("", "", "")
    words = _latin_trim(_WORDS.findall(_BRACKETED.sub(" ", fold(raw))))
    key = _strip_leading_divisions(_strip_tail("".join(words)))
    brand = _latin_brand(words) if key.isascii() else _brand(key)
    if len(brand) < (3 if brand.isascii() else 2):
        return CompanyName(key, "", "")
    return CompanyName(key, brand, brand if brand.isascii() else "".join(lazy_pinyin(brand)))


def _latin_trim(words: list[str]) -> list[str]:
    """Legal forms, branch words and places around a Latin name: `Beijing Acme Tech Co Ltd Shanghai Branch`."""
    places = divisions.latin_names()
    while len(words) > 1 and (words[-1] in _LATIN_TAIL or words[-1] in places):
        words = words[:-1]
    while len(words) > 1 and words[0] in places:
        words = words[1:]
    return words


def _strip_tail(key: str) -> str:
    """Legal forms, branch and office suffixes, and a place before them, however many: `…有限公司北京分公司`."""
    changed = True
    while changed:
        changed = False
        for suffix in _CN_TAIL:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, changed = _cut_trailing_place(key[: -len(suffix)]), True
                break
    return key


def _cut_trailing_place(key: str) -> str:
    place = divisions.trailing(key)
    if place is None:
        return key
    rest = key[: -len(place.name)] if key.endswith(place.name) else key[: -len(place.short)]
    return rest if _brand(rest) else key


def _strip_leading_divisions(key: str) -> str:
    """Every leading province, prefecture and county, as long as a brand remains after it."""
    parent = None
    while (division := divisions.leading(key, parent)) is not None:
        rest = key[len(division.name):] if key.startswith(division.name) else key[len(division.short):]
        if not _brand(rest):
            break
        key, parent = rest, division
    return key


def _brand(key: str) -> str:
    cn, _ = trade_words()
    stripped = True
    while stripped:
        stripped = False
        for word in cn:
            if key.endswith(word) and len(key) > len(word):
                key, stripped = key[: -len(word)], True
                break
    return "" if key in cn else key


def _latin_brand(words: list[str]) -> str:
    _, latin = trade_words()
    while len(words) > 1 and words[-1] in latin:
        words = words[:-1]
    return "" if not words or words[-1] in latin else "".join(words)
