"""The channels that reach a rep in person (the userid each takes from the rep's preferences: rules.USERIDS)."""
from __future__ import annotations

from ...preferences.rules import USERIDS
from . import dingtalk, wecom

CHANNELS = tuple(USERIDS)


def send(rt, row: dict, allowed: list[str]) -> None:
    (dingtalk if row["channel"] == "dingtalk_work" else wecom).send(rt, row, allowed)
