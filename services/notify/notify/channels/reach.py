"""Where outbound sends may go: the admin's `allowed_private_hosts` (stored, versioned, If-Match once
it exists) and the check of a URL or host when an admin registers it. The same
check is made again at every send (network.checked), so a name that later resolves inside is refused."""
from __future__ import annotations

from urllib.parse import urlsplit

from pymongo.errors import DuplicateKeyError

from crm_common import audit, concurrency
from crm_common.kernel.refusals import Stale

from . import addresses, network

ID = "outbound"


def stored(rt) -> dict | None:
    return rt.db.settings.find_one({"_id": ID})


def view(doc: dict | None) -> dict:
    """The setting as answered; before its first PUT it is empty, version 0."""
    doc = doc or {}
    return {"allowed_private_hosts": doc.get("allowed_private_hosts", []), "version": doc.get("version", 0)}


def allowed(rt) -> list[str]:
    return view(stored(rt))["allowed_private_hosts"]


def put(rt, hosts: list[str], expected: frozenset[int] | None) -> dict:
    """Replace the list; `expected`: the versions If-Match accepts (None: any)."""
    hosts = list(dict.fromkeys(addresses.normal_host(h) for h in hosts if h.strip()))
    current = view(stored(rt))
    concurrency.check(current, expected)
    change = {"$set": {"allowed_private_hosts": hosts, "updated_at": rt.clock.now()}, "$inc": {"version": 1}}

    def write(session):  # the change and its audit row commit together
        if current["version"] == 0:
            rt.db.settings.insert_one({"_id": ID, "allowed_private_hosts": hosts, "version": 1,
                                       "updated_at": rt.clock.now()}, session=session)
        elif not rt.db.settings.update_one({"_id": ID, "version": current["version"]}, change,
                                           session=session).modified_count:
            raise DuplicateKeyError("changed meanwhile")
        audit.record(rt, session, ID, ID, current if current["version"] else None,
                     {"allowed_private_hosts": hosts, "version": current["version"] + 1})
    try:
        rt.transaction(write)
    except DuplicateKeyError:
        raise Stale("the setting changed since you read it; read it again and reapply your change",
                    reason="stale") from None
    return view(stored(rt))


def check_host(rt, host: str, port: int, field: str) -> None:
    """Refuse (422 naming `field`) a host that does not resolve or resolves inside."""
    with network.Deadline() as deadline:
        try:
            found = network.resolve(host, port, deadline)
        except network.SendError as exc:
            raise addresses.Unreachable.field(field, str(exc)) from None
    why = addresses.refusal(host, found, allowed(rt))
    if why:
        raise addresses.Unreachable.field(field, why, f"{field}: {why}")


def check_url(rt, url: str, field: str = "url") -> None:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise addresses.Unreachable.field(field, "the port is not a number") from None
    check_host(rt, parts.hostname or "", port, field)
