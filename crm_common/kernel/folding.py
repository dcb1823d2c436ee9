"""Text folded before any comparison: width (NFKC), Traditional to Simplified (OpenCC), case."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """`華信電子（深圳）` -> `华信电子(深圳)`, `ＡＣＭＥ` -> `acme`."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _t2s().convert(text)
    return text.casefold()
