"""Idempotency-Key: a retried request gets the first response and changes nothing.

The key is reserved before the work and the response stored after it; a request
with a reused key but another body is refused, and a retry that arrives while
the first is still running is told to try again.

What each transaction of the request returns is kept with its work, in the same
transaction (Runtime.transaction calls `keep_result`). A retry whose first attempt
committed but never stored its answer (the reply was lost past the commit) runs the
route again with those transactions answered from the store instead of run again,
so it answers as the first would have: the same new id, nothing written twice. A
route therefore builds its answer from what its transactions return. Keys are scoped per caller
(user or channel), so two callers choosing the same key never meet.

A route takes the header with one decorator, under its auth decorator (which
names the caller) and over `blp.arguments` (so a retry is answered before the
body is parsed again):

    @blp.route("/things", methods=["POST"])
    @require_user()
    @idempotent
    @blp.arguments(ThingIn)
    @blp.response(201, ThingOut)
    def create_thing(body): ...
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
from datetime import timedelta

import bson
import bson.errors

from flask import Response, current_app, g, has_request_context, make_response, request
from pymongo import UpdateOne, results
from pymongo.errors import DuplicateKeyError

from . import sealed
from .errors import Problem

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"  # set on an answer that was stored, not computed now
# A reservation older than this was left by a crash: gunicorn kills a request after 30 s (deploy/gunicorn.conf.py).
STALE_AFTER = timedelta(seconds=60)
LOST = "lost"  # a first attempt whose work committed and whose answer failed: never run again
PARAMETER = {  # the OpenAPI description every idempotent operation shares
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "Any unique string (e.g. a UUID) per intended write. A retry with the same key gets the first "
                   f"answer (status and body, with `{REPLAYED}: true`) and writes nothing; the same key with another "
                   "request is a 422; a retry while the first is still running is a 409; a retry of a first attempt "
                   "whose write was carried out but whose answer was lost gets that first answer too (nothing is "
                   "written twice). Keys are per caller and kept 7 days."}
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def fingerprint(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def on_retry(first: dict, digest: str, now) -> str:
    """What a request does with the reservation `first` of its key, as found (pure):

    `other_request` (another body: 422), `answered` (the stored answer), `running` (the first attempt
    may still be at work: 409, try again), `kept` (the route kept its whole answer with its work),
    `replay` (its transactions' results were kept: run again, answered from them), `answer_lost`
    (it committed something that could not be kept: 409), `run` (it failed before any commit, or died
    long ago having committed nothing: run it now)."""
    if first.get("fingerprint") != digest:
        return "other_request"
    if first.get("state") == "done":
        return "answered"
    if "kept" in first:
        return "kept"
    if first.get("created_at") and first["created_at"] > now - STALE_AFTER and first.get("state") != LOST:
        return "running"
    if first.get("results") and all("value" in r or "sealed" in r for r in first["results"]):
        return "replay"
    if first.get("committed"):
        return "answer_lost"
    return "run"


def replay_or_run(rt, scope: str, key: str | None, body, run):
    """`run()` -> (payload, status) once per (scope, key); later calls replay it."""
    if not key:
        return run()
    if len(key) > 200:
        raise Problem(400, "the Idempotency-Key header is too long",
                      errors=[{"field": HEADER, "message": "at most 200 characters"}])
    store, now, digest = rt.db.idempotency_keys, rt.clock.now(), fingerprint(body)
    doc_id = f"{scope}:{key}"
    try:
        store.insert_one({"_id": doc_id, "fingerprint": digest, "state": "running", "created_at": now})
    except DuplicateKeyError:
        first = store.find_one({"_id": doc_id}) or {}
        verdict = on_retry(first, digest, now)
        if verdict == "other_request":
            raise Problem(422, "this Idempotency-Key was used with a different request",
                          errors=[{"field": HEADER, "message": "reused with another body"}]) from None
        if verdict == "answered":
            return first["payload"], first["status"]
        if verdict == "running":
            raise _still_running() from None
        if verdict == "answer_lost":
            raise Problem(409, "the first request with this Idempotency-Key wrote its changes (an import: some of "
                               "them), but its answer was lost; it is not run again: read the records to see the "
                               "result, and send a new key to try again", reason="answer_lost") from None
        if verdict == "kept":  # the work committed but its answer was lost: answer as it would have
            g.idempotency_kept = (first["kept"]["payload"], first["kept"]["status"])
        elif verdict == "replay":  # its transactions committed (all, or the first few): answered, not run again
            g.idempotency_replay = [_opened(r) for r in first["results"]]
            g.idempotency_replayed = True
        # one retry takes the first attempt over: two at once would both carry out what it left undone
        taken = store.update_one({"_id": doc_id, "created_at": first.get("created_at"), "state": first.get("state")},
                                 {"$set": {"created_at": now, "state": "running"}})
        if not taken.matched_count:
            raise _still_running() from None
    g.idempotency_running = doc_id
    try:
        payload, status = run()
    except Exception:
        # a failed first attempt may be retried, unless its work committed (keep_with, keep_result)
        running = {"_id": doc_id, "state": "running", "kept": {"$exists": False}}
        if not store.delete_one({**running, "committed": {"$exists": False}}).deleted_count:
            store.update_one({**running, "committed": True}, {"$set": {"state": LOST}})
        raise
    store.update_one({"_id": doc_id}, {"$set": {"state": "done", "payload": payload, "status": status}})
    return payload, status


def keep_with(db, payload, status: int) -> list[tuple[str, UpdateOne]]:
    """The write that keeps a route's answer in its own transaction, as (collection, op) pairs (none
    without an Idempotency-Key).

    A reply lost after the commit (the database restarted, the connection dropped) then leaves the
    answer behind: the retry gets it instead of running the work again, which would answer
    differently (a lead submitted twice is a duplicate of itself). The route checks `kept_answer()`.
    """
    kept = _kept(payload, status)
    return [("idempotency_keys", UpdateOne(*kept, namespace=f"{db.name}.idempotency_keys"))] if kept else []


def _still_running() -> Problem:
    return Problem(409, "a request with this Idempotency-Key is still being processed", headers={"Retry-After": "1"})


MAX_KEPT_BYTES = 1024 * 1024  # a larger result is noted as committed only (answer_lost on a lost reply)
NOT_KEPT = object()  # no result kept for this transaction: run it


def replayed_result():
    """What the next transaction of a retried request returned in its first attempt, which committed
    it (`keep_result`); `NOT_KEPT` when it must run (no retry, or the first attempt stopped before it)."""
    replay = g.get("idempotency_replay") if has_request_context() else None
    return replay.pop(0) if replay else NOT_KEPT


def keep_result(db, session, result) -> None:
    """In a transaction of an idempotent request: keep what the work returns with the work (Runtime.transaction
    calls this last), unless the route kept its whole answer with it (keep_with). A retry after a reply lost
    past the commit gets it back from `replayed_result` instead of carrying the work out twice. A result the
    database cannot hold (a set, a result over MAX_KEPT_BYTES) is noted as committed only: such a retry is told so
    (409, reason `answer_lost`)."""
    doc_id = _running()
    if not doc_id or g.get("idempotency_answer_kept"):
        return
    db.idempotency_keys.update_one({"_id": doc_id, "state": "running"},
                                   {"$set": {"committed": True}, "$push": {"results": _storable(db, result)}},
                                   session=session)


# A write's own result (what `insert_one` or `update_one` returned), kept by what rebuilds it.
_DRIVER_RESULTS = {
    "InsertOneResult": (results.InsertOneResult, lambda r: r.inserted_id),
    "InsertManyResult": (results.InsertManyResult, lambda r: r.inserted_ids),
    "UpdateResult": (results.UpdateResult, lambda r: r.raw_result),
    "DeleteResult": (results.DeleteResult, lambda r: r.raw_result),
    "BulkWriteResult": (results.BulkWriteResult, lambda r: r.bulk_api_result),
}


def _storable(db, result) -> dict:
    driver = _DRIVER_RESULTS.get(type(result).__name__)
    if driver and isinstance(result, driver[0]):
        return {"value": {"driver_result": type(result).__name__, "of": driver[1](result),
                          "acknowledged": result.acknowledged}}
    try:
        encoded = bson.encode({"value": result}, codec_options=db.codec_options)
    except (bson.errors.InvalidDocument, TypeError, OverflowError):
        return {"opaque": type(result).__name__}
    if len(encoded) > MAX_KEPT_BYTES:  # the reservation is one document: it must stay far below 16 MB
        return {"opaque": f"{len(encoded)} bytes"}
    if g.get("idempotency_secret"):  # e.g. a new API key: kept sealed, as the stored answer is
        return {"sealed": sealed.seal(encoded, current_app.extensions["crm"].settings.jwt_secret,
                                      *g.idempotency_secret)}
    return {"value": result}


def _opened(kept: dict):
    value = kept.get("value")
    if isinstance(value, dict) and value.get("driver_result") in _DRIVER_RESULTS:
        return _DRIVER_RESULTS[value["driver_result"]][0](value["of"], value["acknowledged"])
    if "value" in kept:
        return value
    rt = current_app.extensions["crm"]
    opened = sealed.unseal(kept["sealed"], rt.settings.jwt_secret, *g.idempotency_secret)
    return bson.decode(opened, codec_options=rt.db.codec_options)["value"]


def keep(db, session, payload, status: int) -> None:
    """keep_with, written now: for a route whose transaction makes its writes one by one."""
    kept = _kept(payload, status)
    if kept:
        db.idempotency_keys.update_one(*kept, session=session)


def _kept(payload, status: int) -> tuple[dict, dict] | None:
    doc_id = _running()
    if not doc_id:
        return None
    g.idempotency_answer_kept = True
    return {"_id": doc_id, "state": "running"}, {"$set": {"kept": {"payload": payload, "status": status}}}


def _running() -> str | None:
    """The reservation of the idempotent request being served, if any (none outside a request)."""
    return g.get("idempotency_running") if has_request_context() else None


def kept_answer() -> tuple | None:
    """(payload, status) a retried request's first attempt committed with its work, else None."""
    return g.get("idempotency_kept") if has_request_context() else None


class _NotKept(Exception):
    """A refusal returned (not raised) by a view: answered, but not stored, so a retry runs again."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def idempotent(view=None, *, secret: bool = False):
    """Decorator: the route honours Idempotency-Key, scoped to the caller, and documents the header.

    `@idempotent(secret=True)` for an answer that carries a secret (a new API key): it is stored
    sealed, so the idempotency store never holds a secret the service itself keeps only hashed.
    """
    if view is None:
        return functools.partial(idempotent, secret=secret)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        ran = []

        def run():
            ran.append(True)
            response = make_response(view(*args, **kwargs))
            if response.status_code >= 400:
                raise _NotKept(response)
            headers = [[k, v] for k, v in response.headers.items() if k.lower() != "content-length"]
            body = sealed.seal(response.get_data(), rt.settings.jwt_secret, scope, key) if secret \
                else response.get_data(as_text=True)
            return {"body": body, "headers": headers}, response.status_code
        rt, scope = current_app.extensions["crm"], caller_scope()
        if secret:
            g.idempotency_secret = (scope, key)
        try:
            stored, status = replay_or_run(rt, scope, key, request_summary(), run)
        except _NotKept as refused:
            return refused.response
        body = sealed.unseal(stored["body"], rt.settings.jwt_secret, scope, key) if secret else stored["body"]
        response = Response(body, status=status, headers=stored["headers"])
        if not ran or kept_answer() or g.get("idempotency_replayed"):
            response.headers[REPLAYED] = "true"
        return response
    # flask-smorest documents the parameters it finds here; the deep copy leaves the inner view's doc alone.
    wrapper._apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc.setdefault("arguments", {}).setdefault("parameters", []).append(dict(PARAMETER))
    return wrapper


def caller_scope() -> str:
    """Whose keys these are: the signed-in user's, or the API key's channel's."""
    principal, channel = g.get("principal"), g.get("channel")
    if principal is not None:
        return f"user:{principal.user_id}"
    if channel is not None:
        return f"channel:{channel['_id']}"
    raise RuntimeError("@idempotent needs an authenticated caller: put it under the auth decorator")


def request_summary() -> dict:
    """What makes two requests the same one: method, path, query and body (parsed, so formatting does not count)."""
    summary = {"method": request.method, "path": request.path, "query": request.args.to_dict(flat=False)}
    if request.mimetype in _FORM_TYPES:
        summary["form"] = request.form.to_dict(flat=False)
        summary["files"] = {name: _digest(upload.stream) for name, upload in request.files.items(multi=True)}
    elif request.is_json and request.get_json(silent=True) is not None:
        summary["json"] = request.get_json(silent=True)
    else:
        summary["data"] = hashlib.sha256(request.get_data()).hexdigest()
    return summary


def _digest(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(65536), b""):
        digest.update(chunk)
    stream.seek(0)  # the view reads the upload after us
    return digest.hexdigest()
