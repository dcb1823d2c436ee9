"""What an admin sees of a robot's URL: its credential query parameters and any user:password masked
(WeCom's `key`, DingTalk's `access_token`, ...), and Feishu's token, which is the path after `/hook/`;
the rest as typed, so one robot can be told from
another without the URL being usable. Pure."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
CREDENTIALS = frozenset({"key", "access_token", "token", "secret", "sign", "signature", "password", "pass",
                         "auth", "apikey", "api_key", "access_key", "client_secret", "hook_key", "sig", "code"})


def credential(name: str) -> bool:
    lowered = name.lower()
    return lowered in CREDENTIALS or lowered.endswith(("_token", "_key", "_secret", "-token", "-key"))


def masked_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = urlencode([(k, MASK if credential(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    path = parts.path
    if "/hook/" in path:
        path = path.split("/hook/", 1)[0] + "/hook/" + MASK
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
