"""The settings of a provider notify signs in to (the SMS provider, the DingTalk and WeCom corp apps):
one document each in `settings`, its secrets sealed (sealing.py) and never answered, versioned
with If-Match once it exists, audited as shown (secrets only as `has_<name>`)."""
from __future__ import annotations

from crm_common import audit, concurrency
from crm_common.auth import require_user
from crm_common.kernel.refusals import Invalid, NotFound
from crm_common.sealed import Tampered
from crm_common.web import runtime

from . import reach, sealing
from .network import SendError


# Each provider setting and its sealed secrets (migrations/reseal.py seals them again after a key rotation).
SEALED = {"sms": ("access_key_secret", "callback_token"), "dingtalk-app": ("app_secret",), "wecom-app": ("secret",)}


def reseal_all(rt) -> tuple[int, int]:
    """Every provider setting's secrets sealed under the current key: (resealed, unreadable). The cached
    access tokens are dropped, not resealed: the apps hand out new ones."""
    done = unreadable = 0
    for setting_id, secrets in SEALED.items():
        doc = stored(rt, setting_id)
        if not doc:
            continue
        try:
            change = {k: sealing.reseal(rt, doc[k], setting_id, k) for k in secrets if doc.get(k) is not None}
        except Tampered:
            unreadable += 1
            continue
        rt.db.settings.update_one({"_id": setting_id}, {"$set": change})
        done += 1
    rt.db.app_tokens.delete_many({})
    return done, unreadable


def stored(rt, setting_id: str, session=None) -> dict | None:
    return rt.db.settings.find_one({"_id": setting_id}, session=session)


def view(doc: dict | None, secrets: tuple[str, ...]) -> dict:
    """The setting as answered: its secrets only as whether they are set."""
    if not doc:
        raise NotFound("not configured yet")
    shown = {k: v for k, v in doc.items() if k not in secrets and k != "_id"}
    return {**shown, **{f"has_{name}": bool(doc.get(name)) for name in secrets}}


def put(rt, setting_id: str, body: dict, secrets: tuple[str, ...], expected) -> dict:
    """Replace the setting if its version is one of `expected` (If-Match; None: any). A secret left
    out keeps the stored one, so an admin changing the sign name need not type the key again."""
    fields = {k: v for k, v in body.items() if k not in secrets}
    fields.update({k: sealing.seal(rt, body[k], setting_id, k) for k in secrets if k in body})

    def work(session):  # the change and its audit row commit together
        before = stored(rt, setting_id, session)
        concurrency.check({"version": (before or {}).get("version", 0)}, expected)
        unset = {k: "" for k in (before or {}) if k not in fields and k not in secrets and k not in ("_id", "version", "updated_at")}
        rt.db.settings.update_one({"_id": setting_id}, {"$set": {**fields, "updated_at": rt.clock.now()},
                                                        "$inc": {"version": 1}, **({"$unset": unset} if unset else {})},
                                  upsert=True, session=session)
        after = stored(rt, setting_id, session)
        audit.record(rt, session, setting_id, setting_id, before and view(before, secrets), view(after, secrets))
    rt.transaction(work)
    return view(stored(rt, setting_id), secrets)


def for_sending(rt, setting_id: str, secrets: tuple[str, ...], what: str) -> dict:
    """The setting with its secrets opened, for the one send that needs them; SendError when unset."""
    doc = stored(rt, setting_id)
    if not doc:
        raise SendError(f"{what} is not configured")
    try:
        return {**doc, **{k: sealing.unseal(rt, doc.get(k), setting_id, k) for k in secrets}}
    except Tampered:
        raise SendError(f"the stored {what} secret no longer opens; set it again") from None


def register(blp, path: str, setting_id: str, secrets: tuple[str, ...], schema_in, schema_out,
             endpoints: tuple[str, ...]) -> None:
    """GET and PUT /v1/settings/<path>, for admins: each secret is needed until one is stored, an
    endpoint an admin overrides is checked as robot URLs are (reach.check_url)."""
    def get_setting():
        shown = view(stored(runtime(), setting_id), secrets)
        return shown, 200, {"ETag": concurrency.etag(shown["version"])}

    def put_setting(body):
        rt = runtime()
        before = stored(rt, setting_id)
        for secret in secrets:
            if not body.get(secret) and not (before or {}).get(secret):
                raise Invalid.field(secret, "required until one is stored")
        expected = concurrency.expected_versions(required=before is not None)
        for field in endpoints:
            if body.get(field):
                reach.check_url(rt, body[field], field)
        shown = put(rt, setting_id, body, secrets, expected)
        return shown, 200, {"ETag": concurrency.etag(shown["version"])}
    name = path.replace("-", "_")
    get_setting.__name__, put_setting.__name__ = f"get_{name}", f"put_{name}"
    put_setting.__doc__ = f"{schema_in.__doc__ or ''} The first PUT needs no If-Match; every later one the ETag last read."
    blp.route(f"/settings/{path}", methods=["GET"])(require_user("admin")(blp.response(200, schema_out)(get_setting)))
    blp.route(f"/settings/{path}", methods=["PUT"])(require_user("admin")(concurrency.documented(
        required=False, when="Needed once it is set. ")(blp.arguments(schema_in)(blp.response(200, schema_out)(
            put_setting)))))
