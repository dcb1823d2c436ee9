"""Channels (DOMAIN §5): leads, duplicates, conversion and revenue per channel and campaign. An exact
duplicate counts under the campaign it came with; a won deal under its customer's source lead's."""
from __future__ import annotations

from collections import defaultdict

from crm_common.kernel.money import yuan

from .figures import ratio

# tally kind -> the column it counts
COLUMNS = (("lead", "leads"), ("dup", "duplicates"), ("possible", "possible_duplicates"),
           ("converted", "converted"), ("won", "won"))


def channels(found: dict[str, list[dict]]) -> dict:
    """From the rows by channel and campaign of each tally kind of COLUMNS."""
    items: dict = defaultdict(lambda: {"leads": 0, "duplicates": 0, "possible_duplicates": 0, "converted": 0,
                                       "won": 0, "won_amount": 0})
    for kind, field in COLUMNS:
        for row in found[kind]:
            cell = items[(row.get("channel"), row.get("campaign"))]
            cell[field] += row["n"]
            if kind == "won":
                cell["won_amount"] += row["amount"]
    out = [{"channel": ch, "campaign": cp, **c, "won_amount": yuan(c["won_amount"]),
            "conversion_rate": ratio(c["converted"], c["leads"])} for (ch, cp), c in items.items()]
    return {"items": sorted(out, key=lambda i: (i["channel"] or "", i["campaign"] or ""))}
