"""The RFM thresholds an admin sets (GET/PUT /v1/settings/rfm): recency days, and the payments and
money that score frequency and monetary value while too few customers have paid for quintiles.
Until an admin's first PUT they are the defaults (version 0), which count: replacing them takes If-Match."""
from __future__ import annotations

import marshmallow as ma

from crm_common import audit, concurrency
from crm_common.auth import require_user
from crm_common.web import Blueprint, runtime

from .rfm import DEFAULTS

ID = "rfm"

blp = Blueprint("rfm-settings", __name__, url_prefix="/v1/settings", description="RFM thresholds")


def _rising(values):
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ma.ValidationError("four thresholds, each above the one before")


def _thresholds(minimum):
    return ma.fields.List(ma.fields.Integer(validate=ma.validate.Range(min=minimum, max=10**12)),
                          validate=[ma.validate.Length(equal=4), _rising])


class RfmThresholds(ma.Schema):
    recency_days = _thresholds(1)
    frequency_at_least = _thresholds(1)
    monetary_yuan_at_least = _thresholds(0)


def current(rt, session=None) -> dict:
    stored = rt.db.settings.find_one({"_id": ID}, session=session) or {}
    return {**{k: stored.get(k, v) for k, v in DEFAULTS.items()}, "version": stored.get("version", 0)}


def thresholds(rt) -> dict:
    return {k: v for k, v in current(rt).items() if k in DEFAULTS}


def put(rt, changes: dict, expected) -> dict:
    def work(session):  # the change and its audit row commit together
        before = current(rt, session)
        concurrency.check(before, expected)
        rt.db.settings.update_one({"_id": ID}, {"$set": changes, "$inc": {"version": 1}}, upsert=True,
                                  session=session)
        audit.record(rt, session, ID, ID, before, current(rt, session))
    rt.transaction(work)
    return current(rt)


@blp.route("/rfm", methods=["GET"])
@require_user("admin")
@blp.response(200, RfmThresholds)
def get_rfm():
    found = current(runtime())
    return found, 200, {"ETag": concurrency.etag(found["version"])}


@blp.route("/rfm", methods=["PUT"])
@require_user("admin")
@concurrency.documented()
@blp.arguments(RfmThresholds)
@blp.response(200, RfmThresholds)
def put_rfm(body):
    """Replace some or all thresholds; the report uses them from its next read."""
    saved = put(runtime(), body, concurrency.expected_versions())
    return saved, 200, {"ETag": concurrency.etag(saved["version"])}
