"""A generated authorization sweep (issue 12, point 4), read from every service's own OpenAPI.

For every operation that takes an id in its path: called on East rep Ann's object by Bob (a rep of
the same department who neither owns nor collaborates on it), by Will (the manager of the sibling
department West), and by the admin with an unknown id. Bob and Will must get 404, or a refusal
that an unknown id gets too (a 403 for a role that may never call it; the pool's 409 "not in this
pool"): never the object, and never an answer that tells an existing id from a missing one. A new
route is swept the day it is added; a new kind of path id needs one object in conftest.py, or the
sweep fails saying so.

Every writable body must also refuse the fields the server owns: 400 naming each one.
"""
from __future__ import annotations

import pytest
import requests

from crm_common.testing.system import SERVICES

from .openapi import minimal_body, operations

UNKNOWN_ID = "0123456789abcdef01234567"
CALLERS = {"bob": "a rep of the same department who does not own it", "will": "the manager of the sibling department"}
# Organisation and configuration every signed-in user may list (DOMAIN §2: pickers, names, the pools
# one may claim from, the products one may quote, the message templates): that one exists is no
# secret, so only writes to them are swept.
DIRECTORY_IDS = {"user_id", "department_id", "team_id", "pipeline_id", "pool_id", "product_id", "template_id"}
# What the server decides and a client must never set through a body (issue 12: owner, department,
# totals, versions, status), plus the ids and times it stamps.
SERVER_OWNED = ("id", "owner_id", "department_path", "collaborator_ids", "status", "version", "created_at",
                "updated_at", "paid_total", "order_total", "opportunity_total", "outstanding", "token_version")


def _body_hints(world, who: str = "admin") -> dict:
    """Real values for members a body names, so a call gets as far as the object check: a caller
    assigns to themselves, merges into a lead of their own, transfers to the other pool."""
    me = world.users[who]["id"] if who in world.users else world.users["bob"]["id"]
    return {**world.ids, "owner_id": me, "user_id": me, "into_id": world.victims["lead_id"],
            "candidate_id": world.victims["lead_id"], "to_pool_id": world.other_pool_id,
            "contract_id": "no-such-contract", "event_id": "no-such-event", "name": "Sweep", "amount": "10.00",
            "lines": [{"description": "Sweep", "quantity": 1, "unit_price": "10.00"}],  # a quote's, priced
            "tax_rate": "0.13"}  # an invoice's (a rate is below 1)


def _send(world, op, who: str | None, values: dict, body=None):
    headers = dict(world.headers[who]) if who else {}
    if op.method != "get":
        headers["If-Match"] = "*"  # past the version check (428 without) to the object
    if op.channel_only:
        headers.update(world.channel_key)
    kwargs = {}
    if op.json_body_schema() is not None:
        kwargs["json"] = body if body is not None else minimal_body(
            op.document, op.json_body_schema(), _body_hints(world, who))
    elif op.takes_csv():
        kwargs["data"], headers["Content-Type"] = "name,phone\nSweep Row,13500135000\n", "text/csv"
    return requests.request(op.method, op.url(world.system.urls[op.service], values), headers=headers,
                            timeout=30, **kwargs)


def _all_operations(world):
    return [op for service in SERVICES for op in operations(service, world.system.urls[service])]


def _id_of(world, op, param):
    return world.ids.get(f"{op.path} {param}", world.ids.get(param))


def test_no_one_reaches_an_object_outside_their_scope(world):
    problems, swept = [], 0
    for op in _all_operations(world):
        params = [p for p in op.path_params if p.endswith("_id")]  # {name}s are vocabularies, not objects
        if not params or op.channel_only:
            continue
        swept += 1
        missing = [p for p in op.path_params if _id_of(world, op, p) is None]
        if missing:
            problems.append(f"{op.name}: no object for {missing} in tests/security/conftest.py: not swept")
            continue
        ids = {p: _id_of(world, op, p) for p in op.path_params}
        secret = [p for p in params if p not in DIRECTORY_IDS]
        for who, described in CALLERS.items():
            real = _send(world, op, who, ids)
            if not secret:  # a directory object: reading it is for everyone, changing it is not
                if real.ok and op.method != "get":
                    problems.append(f"{op.name} as {who} ({described}): {real.status_code}\n    {real.text[:240]}")
                continue
            if real.status_code == 404:
                continue
            unknown = _send(world, op, who, {**ids, **{p: UNKNOWN_ID for p in secret}})
            if real.ok or real.status_code != unknown.status_code or real.status_code >= 500:
                problems.append(f"{op.name} as {who} ({described}): {real.status_code} on Ann's object, "
                                f"{unknown.status_code} on an unknown id; wanted 404, or the same refusal\n"
                                f"    {real.text[:240]}")
        for param in params:
            if op.method == "put" and op.path.endswith("{%s}" % param):
                continue  # a PUT names the object it creates
            unknown = _send(world, op, "admin", {**ids, param: UNKNOWN_ID})
            if unknown.status_code not in (404, 409):
                problems.append(f"{op.name} as admin with an unknown {param}: {unknown.status_code}, wanted 404\n"
                                f"    {unknown.text[:240]}")
    print(f"\nswept {swept} operations with a path id")
    assert swept >= 30  # the sweep really read the documents
    assert not problems, "\n".join(problems)


def test_every_writable_body_refuses_what_the_server_owns(world):
    problems, checked = [], 0
    for op in _all_operations(world):
        schema = op.json_body_schema()
        if schema is None or op.method == "get" or not op.spec.get("security"):
            continue  # logins write nothing the server owns
        declared = set(schema.get("properties", {}))
        owned = [f for f in SERVER_OWNED if f not in declared]
        body = minimal_body(op.document, schema, _body_hints(world))
        if not isinstance(body, dict):
            continue
        checked += 1
        ids = {p: world.victims.get(f"{op.path} {p}", world.victims.get(p, UNKNOWN_ID)) for p in op.path_params}
        answer = _send(world, op, "admin", ids, body={**body, **{f: "server-side" for f in owned}})
        named = {e.get("field") for e in answer.json().get("errors", [])} if answer.status_code == 400 else set()
        if answer.status_code != 400 or not set(owned) <= named:
            problems.append(f"{op.name}: {answer.status_code}, naming {sorted(named)}; wanted 400 naming {owned}\n"
                            f"    {answer.text[:240]}")
    assert checked >= 20
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("field", ["owner_id", "department_path", "status", "version"])
def test_a_rep_cannot_hand_themselves_a_customer_by_naming_its_owner(world, field):
    """The body check above, seen as a user would: the field is refused, nothing is created."""
    before = requests.get(world.system.url("customer", "/v1/customers"), headers=world.headers["bob"],
                          params={"view": "mine"}, timeout=10).json()["items"]
    answer = requests.post(world.system.url("customer", "/v1/customers"), headers=world.headers["bob"],
                           json={"name": f"Sneaky {field} Co", field: world.users["ann"]["id"]}, timeout=10)
    assert answer.status_code == 400 and answer.headers["Content-Type"].startswith("application/problem+json")
    assert field in {e["field"] for e in answer.json()["errors"]}
    after = requests.get(world.system.url("customer", "/v1/customers"), headers=world.headers["bob"],
                         params={"view": "mine"}, timeout=10).json()["items"]
    assert len(after) == len(before)
