"""The providers' callbacks: delivery receipts update the SMS delivery, a receipt saying the number
does not exist stops SMS to that contact, and a reply of TD, T or 退订 unsubscribes the number.

Aliyun pushes JSON arrays of receipts (SmsReport: `out_id` is our delivery id, `biz_id` the message id)
or of replies (SmsUp: `phone_number`, `content`); Tencent an array of status reports (`sid`,
`report_status`, `errmsg`) or one reply object (`mobile`, `nationcode`, `text`). Neither signs its
pushes, so the URL carries a token of the admin's (`?token=`, compared in constant time).
"""
from __future__ import annotations

import hmac

import phonenumbers

from crm_common.kernel.refusals import Forbidden, Invalid

from ...contacts import suppression
from ...sequences import goals
from . import providers

STOP_WORDS = frozenset({"td", "t", "退订"})


def verify(rt, token: str | None) -> dict:
    setting = providers.config_or_none(rt)
    expected = (setting or {}).get("callback_token")
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("this callback needs the token set in PUT /v1/settings/sms", reason="bad_callback_token")
    return setting


def items(body) -> list[dict]:
    listed = body if isinstance(body, list) else [body]
    if not listed or not all(isinstance(i, dict) for i in listed):
        raise Invalid.field("body", "a receipt or reply object, or an array of them")
    return listed


def apply(rt, setting: dict, provider: str, body) -> int:
    """Apply every receipt and reply of one push in one transaction; the number that changed something."""
    parsed = [(_aliyun if provider == "aliyun" else _tencent)(item, n) for n, item in enumerate(items(body))]
    stop = providers.stop_codes(setting)

    def work(session):
        done = 0
        for what, fields in parsed:
            if what == "reply":
                if fields["text"].strip().lower() in STOP_WORDS:
                    done += bool(suppression.suppress(rt, session, channel="sms", address=fields["mobile"],
                                                      source="sms_reply"))
                else:  # any other answer is the contact replying: a sequence's reply goal
                    done += goals.replied_from(rt, session, mobile=fields["mobile"])
                continue
            done += _receipt(rt, session, fields, stop)
        return done
    return rt.transaction(work)


def _receipt(rt, session, fields: dict, stop: set) -> int:
    query = {"channel": "sms", **({"_id": fields["out_id"]} if fields.get("out_id")
                                   else {"provider_message_id": fields["message_id"]})}
    row = rt.db.deliveries.find_one(query, session=session)
    if row is None:
        return 0  # not ours, or a message long purged: nothing to update
    receipt = {"status": "delivered" if fields["ok"] else "failed", "code": fields["code"], "at": rt.clock.now()}
    if (row.get("receipt") or {}).get("status") == receipt["status"]:
        return 0  # a provider's repeat push
    rt.db.deliveries.update_one({"_id": row["_id"]}, {"$set": {"receipt": receipt}}, session=session)
    contact_id = (row.get("recipient") or {}).get("contact_id")
    if not fields["ok"] and fields["code"] in stop and contact_id:
        suppression.stop_channel(rt, session, contact_id=contact_id, channel="sms", reason=f"sms {fields['code']}")
    return 1


def _text(item: dict, n: int, name: str) -> str:
    value = item.get(name)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise Invalid.field(f"{n}.{name}", "required, a string")
    return str(value)


def _e164(raw: str, field: str) -> str:
    """The number as contacts keep it (E.164): providers push mainland numbers without +86."""
    try:
        number = phonenumbers.parse("+" + raw[2:] if raw.startswith("00") else raw, "CN")
    except phonenumbers.NumberParseException:
        raise Invalid.field(field, "a phone number") from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _aliyun(item: dict, n: int):
    if "content" in item:
        return "reply", {"mobile": _e164(_text(item, n, "phone_number"), f"{n}.phone_number"),
                         "text": _text(item, n, "content")}
    if not isinstance(item.get("success"), bool):
        raise Invalid.field(f"{n}.success", "required, true or false")
    out_id = item.get("out_id") if isinstance(item.get("out_id"), str) else None
    return "receipt", {"ok": item["success"], "code": _text(item, n, "err_code"), "out_id": out_id or None,
                       "message_id": out_id or _text(item, n, "biz_id")}


def _tencent(item: dict, n: int):
    if "text" in item:
        nation = str(item.get("nationcode") or "86").lstrip("+")
        return "reply", {"mobile": _e164(f"+{nation}{_text(item, n, 'mobile')}", f"{n}.mobile"),
                         "text": _text(item, n, "text")}
    status = _text(item, n, "report_status")
    if status not in ("SUCCESS", "FAIL"):
        raise Invalid.field(f"{n}.report_status", "SUCCESS or FAIL")
    return "receipt", {"ok": status == "SUCCESS", "code": str(item.get("errmsg") or status),
                       "message_id": _text(item, n, "sid")}
