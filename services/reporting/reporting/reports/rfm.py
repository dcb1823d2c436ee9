"""RFM segmentation (DOMAIN §5) of the customers who paid: recency (days since the last payment up to
`to` or today), frequency (payments) and monetary value (their sum), each scored 1-5, and segmented
by R and F.

Recency is scored against day thresholds (an admin's, default 30 / 60 / 90 / 180): a customer's
recency is about the customer, not about how the others did, so one who paid today is never lost,
however few customers there are. Frequency and money are relative by nature and scored by quintile
of the customers in scope (ties share a score), but only once enough customers have paid for a
quintile to mean something; before that, by thresholds too.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date

from crm_common.kernel.money import yuan

SEGMENTS = ("champions", "loyal", "potential_loyalist", "new", "promising", "need_attention", "about_to_sleep",
            "at_risk", "cant_lose", "hibernating", "lost")
# Scores 5..2 for recency at most this many days; above the last, 1.
RECENCY_DAYS = (30, 60, 90, 180)
# Scores 2..5 from at least this many payments / this much money (yuan); below the first, 1.
FREQUENCY_AT_LEAST = (2, 3, 5, 10)
MONETARY_YUAN_AT_LEAST = (10_000, 50_000, 100_000, 500_000)
QUINTILES_FROM = 20  # payers in scope before frequency and money are scored against each other
DEFAULTS = {"recency_days": list(RECENCY_DAYS), "frequency_at_least": list(FREQUENCY_AT_LEAST),
            "monetary_yuan_at_least": list(MONETARY_YUAN_AT_LEAST)}


def segment(r: int, f: int) -> str:
    """The R/F segment map (rows R 1-5, columns F 1-5), with R1F1 split from hibernating as lost."""
    if r <= 2:
        return "lost" if (r, f) == (1, 1) else "hibernating" if f <= 2 else "at_risk" if f <= 4 else "cant_lose"
    if r == 3:
        return "about_to_sleep" if f <= 2 else "need_attention" if f == 3 else "loyal"
    if r == 4:
        return "promising" if f == 1 else "potential_loyalist" if f <= 3 else "loyal"
    return "new" if f == 1 else "potential_loyalist" if f <= 3 else "champions"


def quintile(values: list, value) -> int:
    """1-5 by the share of values strictly below `value` (ties share a score)."""
    ordered = sorted(values)
    return 1 + min(4, bisect_left(ordered, value) * 5 // len(ordered))


def recency_score(days: int, thresholds=RECENCY_DAYS) -> int:
    """5 within the first threshold of days, then one less past each."""
    return 5 - bisect_left(sorted(thresholds), days)


def at_least_score(value, thresholds) -> int:
    """1 below the first threshold, one more at each threshold reached."""
    return 1 + bisect_right(sorted(thresholds), value)


def payer(doc: dict, end: date, start: str | None = None) -> dict | None:
    """A customer's recency, frequency and money from its payments received from `start` to `end`;
    None when it paid nothing then."""
    paid = [p for p in doc["payments"].values()
            if (not start or p["on"] >= start) and p["on"][:10] <= end.isoformat()]
    if not paid:
        return None
    last = max(p["on"][:10] for p in paid)
    return {"customer_id": doc["_id"], "name": doc.get("name"), "owner_id": doc.get("owner_id"),
            "recency_days": (end - date.fromisoformat(last)).days, "frequency": len(paid),
            "monetary_fen": sum(p["fen"] for p in paid)}


def score(found: list[dict], thresholds: dict | None = None) -> None:
    """Give each payer its r, f, m and segment (in place)."""
    limits = {**DEFAULTS, **(thresholds or {})}
    relative = len(found) >= QUINTILES_FROM
    frequency, monetary = [c["frequency"] for c in found], [c["monetary_fen"] for c in found]
    fen_limits = [y * 100 for y in limits["monetary_yuan_at_least"]]
    for c in found:
        c["r"] = recency_score(c["recency_days"], limits["recency_days"])
        if relative:
            c["f"], c["m"] = quintile(frequency, c["frequency"]), quintile(monetary, c["monetary_fen"])
        else:
            c["f"] = at_least_score(c["frequency"], limits["frequency_at_least"])
            c["m"] = at_least_score(c["monetary_fen"], fen_limits)
        c["segment"] = segment(c["r"], c["f"])


def rfm(customers: list[dict], end: date, *, start: str | None = None, channel: str | None = None,
        campaign: str | None = None, only: str | None = None, thresholds: dict | None = None) -> dict:
    """The count of each segment, or with `only` the customers of that segment, from the records of
    the customers in scope who paid (filtered by their source lead's channel and campaign)."""
    found = []
    for doc in customers:
        lead = doc.get("lead") or {}
        if (channel and lead.get("channel") != channel) or (campaign and lead.get("campaign") != campaign):
            continue
        scores = payer(doc, end, start)
        if scores:
            found.append(scores)
    score(found, thresholds)
    for c in found:
        c["monetary"] = yuan(c.pop("monetary_fen"))
    if only:
        return {"segment": only, "items": sorted((c for c in found if c["segment"] == only),
                                                  key=lambda c: c["customer_id"])}
    counts = {s: 0 for s in SEGMENTS}
    for c in found:
        counts[c["segment"]] += 1
    return {"segments": [{"segment": s, "count": n} for s, n in counts.items()]}
