"""Local stand-ins for the providers notify's SDKs call, each checking a request as the provider would:
Aliyun SMS (ACS3-HMAC-SHA256), Tencent Cloud SMS (TC3-HMAC-SHA256), the DingTalk corp app (accessToken,
then the work notification) and the WeCom app (gettoken, then message/send). A request signed with
another secret, or with a token the stand-in did not hand out, is refused as the provider refuses it."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest


class StandIn:
    """An HTTP server that hands each request to `answer(method, path, query, headers, raw)` -> (status, dict)."""

    def __init__(self):
        self.requests, self.ids = [], count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                        "raw_query": parts.query, "headers": headers, "raw": raw}
                status, body = stand_in.answer(seen)
                seen["answer"] = (status, body)
                stand_in.requests.append(seen)
                reply = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def at(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def serving(kind):
    """A fixture of one `kind` of stand-in, closed after the test: `aliyun = serving(AliyunSms)`."""
    @pytest.fixture
    def stand_in():
        server = kind()
        yield server
        server.close()
    return stand_in


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _authorization(header: str, scheme: str) -> dict:
    """`<scheme> Credential=..., SignedHeaders=..., Signature=...` -> its three members."""
    if not header.startswith(scheme + " "):
        return {}
    members = (part.strip().split("=", 1) for part in header[len(scheme) + 1:].split(","))
    return {k: v for k, v in (m for m in members if len(m) == 2)}


class AliyunSms(StandIn):
    """dysmsapi's SendSms, signed ACS3-HMAC-SHA256: the canonical request (method, path, sorted
    RFC 3986-encoded query, the signed headers, the payload's SHA-256) hashed, then HMAC-SHA256 with the
    AccessKey secret. Answers Code OK and a BizId, or SignatureDoesNotMatch."""

    MUST_SIGN = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce"}

    def __init__(self, key_id="LTAI-test", secret="aliyun-secret"):
        self.key_id, self.secret, self.code = key_id, secret, "OK"
        super().__init__()

    def signature_ok(self, r: dict) -> bool:
        auth = _authorization(r["headers"].get("authorization", ""), "ACS3-HMAC-SHA256")
        signed = auth.get("SignedHeaders", "").split(";")
        if auth.get("Credential") != self.key_id or not self.MUST_SIGN <= set(signed):
            return False
        if r["headers"]["x-acs-content-sha256"] != _sha256(r["raw"]):
            return False
        query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}"
                         for k, v in sorted(parse_qsl(r["raw_query"], keep_blank_values=True)))
        headers = "".join(f"{name}:{r['headers'][name].strip()}\n" for name in signed)
        canonical = "\n".join([r["method"], r["path"], query, headers, ";".join(signed), _sha256(r["raw"])])
        expected = hmac.new(self.secret.encode(), f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode())}".encode(),
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, auth.get("Signature", ""))

    def answer(self, r: dict):
        if not self.signature_ok(r):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature does not match",
                         "RequestId": "R0"}
        if r["headers"].get("x-acs-action") != "SendSms":
            return 400, {"Code": "InvalidAction", "RequestId": "R0"}
        if self.code != "OK":
            return 200, {"Code": self.code, "Message": "refused", "RequestId": "R1"}
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{next(self.ids)}", "RequestId": "R1"}

    def sent(self) -> list[dict]:
        """The messages it accepted: their query parameters, TemplateParam read."""
        ok = [dict(parse_qsl(r["raw_query"])) for r in self.requests if r["answer"][1].get("Code") == "OK"]
        return [{**q, "TemplateParam": json.loads(q["TemplateParam"])} for q in ok]


class TencentSms(StandIn):
    """sms 2021-01-11 SendSms, signed TC3-HMAC-SHA256: the SecretKey derives a signing key per date and
    service ("TC3"+key -> date -> "sms" -> "tc3_request") that signs the canonical request's hash."""

    def __init__(self, secret_id="AKID-test", secret_key="tencent-secret"):
        self.secret_id, self.secret_key, self.code = secret_id, secret_key, "Ok"
        super().__init__()

    def signature_ok(self, r: dict) -> bool:
        auth = _authorization(r["headers"].get("authorization", ""), "TC3-HMAC-SHA256")
        credential = auth.get("Credential", "").split("/")
        signed = auth.get("SignedHeaders", "").split(";")
        if len(credential) != 4 or credential[0] != self.secret_id or credential[2:] != ["sms", "tc3_request"]:
            return False
        timestamp = r["headers"].get("x-tc-timestamp", "0")
        day = datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d")
        if credential[1] != day or not {"content-type", "host"} <= set(signed):
            return False
        headers = "".join(f"{name}:{r['headers'][name]}\n" for name in signed)
        canonical = "\n".join([r["method"], r["path"], r["raw_query"], headers, ";".join(signed), _sha256(r["raw"])])
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), day), "sms"), "tc3_request")
        to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{day}/sms/tc3_request", _sha256(canonical.encode())])
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, auth.get("Signature", ""))

    def answer(self, r: dict):
        if not self.signature_ok(r):
            return 200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"},
                                      "RequestId": "R0"}}
        body = json.loads(r["raw"])
        statuses = [{"SerialNo": f"sid-{next(self.ids)}", "PhoneNumber": n, "Fee": 1, "SessionContext": "",
                     "Code": self.code, "Message": "send success", "IsoCode": "CN"} for n in body["PhoneNumberSet"]]
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": "R1"}}

    def sent(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.requests if "SendStatusSet" in r["answer"][1].get("Response", {})]


class DingtalkApp(StandIn):
    """api.dingtalk.com's /v1.0/oauth2/accessToken (appKey, appSecret) and oapi's asyncsend_v2, which
    takes only a token it handed out, for its agent."""

    def __init__(self, app_key="ding-app", app_secret="ding-secret", agent_id=2001):
        self.app_key, self.app_secret, self.agent_id, self.tokens = app_key, app_secret, agent_id, set()
        super().__init__()

    def answer(self, r: dict):
        if r["path"] == "/v1.0/oauth2/accessToken":
            body = json.loads(r["raw"] or b"{}")
            if (body.get("appKey"), body.get("appSecret")) != (self.app_key, self.app_secret):
                return 400, {"code": "invalidClientIdOrSecret", "requestid": "R0", "message": "bad secret"}
            token = f"ding-token-{next(self.ids)}"
            self.tokens.add(token)
            return 200, {"accessToken": token, "expireIn": 7200}
        if r["path"] == "/topapi/message/corpconversation/asyncsend_v2":
            if r["query"].get("access_token", [""])[0] not in self.tokens:
                return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}
            if json.loads(r["raw"]).get("agent_id") != self.agent_id:
                return 200, {"errcode": 60011, "errmsg": "no such agent"}
            return 200, {"errcode": 0, "errmsg": "ok", "task_id": next(self.ids), "request_id": "R1"}
        return 404, {"errcode": 404}

    def messages(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.at("/topapi/message/corpconversation/asyncsend_v2")
                if r["answer"][1].get("errcode") == 0]


class WecomApp(StandIn):
    """qyapi's /cgi-bin/gettoken (corpid, corpsecret) and /cgi-bin/message/send, which takes only a live
    token it handed out, for its agent, and names a userid it does not know as invaliduser."""

    def __init__(self, corp_id="ww-corp", secret="wecom-secret", agent_id=1000002, users=("zhang.san",)):
        self.corp_id, self.secret, self.agent_id, self.users = corp_id, secret, agent_id, set(users)
        self.tokens = set()
        super().__init__()

    def answer(self, r: dict):
        q = {k: v[0] for k, v in r["query"].items()}
        if r["path"] == "/cgi-bin/gettoken":
            if (q.get("corpid"), q.get("corpsecret")) != (self.corp_id, self.secret):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"wecom-token-{next(self.ids)}"
            self.tokens.add(token)
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if r["path"] == "/cgi-bin/message/send":
            if q.get("access_token") not in self.tokens:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            body = json.loads(r["raw"])
            if body.get("agentid") != self.agent_id:
                return 200, {"errcode": 301002, "errmsg": "not allow operate another agent"}
            unknown = [u for u in body["touser"].split("|") if u not in self.users]
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(unknown), "msgid": "M1"}
        return 404, {"errcode": 404}

    def messages(self) -> list[dict]:
        return [json.loads(r["raw"]) for r in self.at("/cgi-bin/message/send") if r["answer"][1].get("errcode") == 0]
