"""Lead scoring (线索评分, DOMAIN §1): configurable points, then a bucket."""
from __future__ import annotations

import marshmallow as ma

DEFAULT_RULES = {
    "phone": 20, "email": 10, "product_interest": 20, "budget": 20, "budget_threshold": 100_000,
    "company_info": 10, "hot_at": 70, "warm_at": 40,
}


class ScoringRules(ma.Schema):
    """What an admin may set; every value has the default of DOMAIN §1."""
    phone = ma.fields.Integer(validate=ma.validate.Range(0, 100), load_default=DEFAULT_RULES["phone"])
    email = ma.fields.Integer(validate=ma.validate.Range(0, 100), load_default=DEFAULT_RULES["email"])
    product_interest = ma.fields.Integer(validate=ma.validate.Range(0, 100),
                                         load_default=DEFAULT_RULES["product_interest"])
    budget = ma.fields.Integer(validate=ma.validate.Range(0, 100), load_default=DEFAULT_RULES["budget"])
    budget_threshold = ma.fields.Float(validate=ma.validate.Range(0), load_default=DEFAULT_RULES["budget_threshold"])
    company_info = ma.fields.Integer(validate=ma.validate.Range(0, 100), load_default=DEFAULT_RULES["company_info"])
    hot_at = ma.fields.Integer(validate=ma.validate.Range(1, 1000), load_default=DEFAULT_RULES["hot_at"])
    warm_at = ma.fields.Integer(validate=ma.validate.Range(1, 1000), load_default=DEFAULT_RULES["warm_at"])

    @ma.validates_schema
    def _buckets_ordered(self, data, **_):
        if data["warm_at"] >= data["hot_at"]:
            raise ma.ValidationError("warm_at must be below hot_at", "warm_at")


def score(lead: dict, channel_weight: int, rules: dict = DEFAULT_RULES) -> tuple[int, str, dict]:
    """(points, bucket, the points per reason) — the reasons make the score explainable."""
    parts = {
        "phone": rules["phone"] if lead.get("phones") else 0,
        "email": rules["email"] if lead.get("emails") else 0,
        "product_interest": rules["product_interest"] if lead.get("product_interest") else 0,
        "budget": rules["budget"] if (lead.get("budget") or 0) >= rules["budget_threshold"] else 0,
        "channel": max(0, min(20, channel_weight)),
        "company_info": rules["company_info"] if all(lead.get(k) for k in ("company", "industry", "city")) else 0,
    }
    points = sum(parts.values())
    bucket = "hot" if points >= rules["hot_at"] else "warm" if points >= rules["warm_at"] else "cold"
    return points, bucket, {k: v for k, v in parts.items() if v}
