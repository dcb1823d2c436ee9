"""Rules, as an admin manages them: a draft, edits into new versions, one active version, the JSON
Schema every rule is checked against, bad input named by its field, and every change audited."""
import jsonschema

from crm_common.testing.events import data_of

COMPLAINT = {"name": "投诉 -> service", "priority": 10,
             "trigger": {"type": "event", "event_type": "crm.customer.followed_up"},
             "conditions": {"all": [{"field": "event.data.content", "op": "contains_any", "value": ["投诉"]}]},
             "actions": [{"type": "create_task", "title": "售后服务", "assignee": {"user_id": "svc-1"}}]}

# Every shape the issue lists, exactly as written there.
SHAPES = {
    "trigger": [{"type": "event", "event_type": "crm.customer.followed_up", "watched_fields": ["tags"]},
                {"type": "transition", "record": "opportunity", "field": "stage", "from": "needs", "to": "proposal"},
                {"type": "relative_time", "record": "opportunity", "date_field": "expected_close_date", "offset_hours": -72},
                {"type": "inactivity", "record": "customer", "since_field": "last_followup_at", "days": 7},
                {"type": "schedule", "cron": "0 9 * * 1"}],
    "conditions": [{"all": [{"field": "record.level", "op": op, "value": "A"} for op in ("eq", "ne", "gt", "gte", "lt", "lte")]},
                   {"any": [{"field": "event.data.content", "op": "contains_any", "value": ["投诉"]},
                            {"field": "record.level", "op": "in", "value": ["A", "B"]}]},
                   {"not": {"field": "record.owner_id", "op": "is_empty"}},
                   {"field": "record.stage", "op": "changed"}],
    "actions": [{"type": "create_task", "title": "Call", "assignee": {"role": "owner"}, "due_in_hours": 24,
                 "checklist": ["dial", "note"]},
                {"type": "create_task", "title": "Call", "assignee": {"user_id": "u1"}},
                {"type": "notify", "to": {"role": "supervisor"}, "message": "look"},
                {"type": "notify", "to": {"user_id": "u1"}, "message": "look"},
                {"type": "assign_owner", "user_id": "u2"},
                {"type": "set_fields", "level": "A", "add_tags": ["vip"], "remove_tags": ["cold"]},
                {"type": "return_to_pool", "pool_id": "p1", "reason": "no answer"},
                {"type": "return_to_pool", "reason": "no answer"},
                {"type": "webhook", "url": "https://example.com/hook", "secret": "a-secret-of-16-chars"},
                {"type": "enroll", "sequence_id": "s1"}],
}


def test_a_new_rule_is_draft_version_one_and_only_admins_manage_rules(automation, token_for):
    made = automation.post("/v1/rules", COMPLAINT)
    assert made.status_code == 201
    assert made.json["status"] == "draft" and made.json["version"] == 1 and made.json["active_version"] is None
    assert made.headers["ETag"] == '"1"'
    rep = token_for("rep-1", "rep")
    assert automation.client.post("/v1/rules", json=COMPLAINT, headers=rep).status_code == 403
    assert automation.client.get("/v1/rules", headers=rep).status_code == 403
    assert automation.client.get(f"/v1/rules/{made.json['id']}", headers=rep).status_code == 403


def test_an_edit_makes_the_next_draft_and_activation_makes_it_the_one_active_version(automation):
    rule = automation.rule(COMPLAINT)
    path = f"/v1/rules/{rule['id']}"
    assert automation.client.patch(path, json={"priority": 5}, headers=automation.admin).status_code == 428
    stale = automation.client.patch(path, json={"priority": 5}, headers={**automation.admin, "If-Match": '"0"'})
    assert stale.status_code == 412
    edited = automation.client.patch(path, json={"priority": 5}, headers={**automation.admin, "If-Match": '"1"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    assert edited.json["version"] == 2 and edited.json["active_version"] == 1 and edited.json["status"] == "active"
    activated = automation.post(f"{path}:activate", {"existing": "ignore"})
    assert activated.json["active_version"] == 2
    versions = automation.client.get(f"{path}/versions", headers=automation.admin).json["items"]
    assert [(v["version"], v["state"], v["priority"]) for v in versions] == [(1, "retired", 10), (2, "active", 5)]
    off = automation.post(f"{path}:deactivate")
    assert off.status_code == 200 and off.json["status"] == "inactive" and off.json["active_version"] is None
    listed = automation.client.get("/v1/rules?status=inactive", headers=automation.admin).json["items"]
    assert [r["id"] for r in listed] == [rule["id"]]


def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(automation):
    cases = [
        ({**COMPLAINT, "trigger": {"type": "sometimes"}}, "trigger.type"),
        ({**COMPLAINT, "trigger": {"type": "event", "event_type": "crm.customer.invented"}}, "trigger.event_type"),
        ({**COMPLAINT, "actions": [{"type": "explode"}]}, "actions.0.type"),
        ({**COMPLAINT, "actions": [{"type": "create_task", "title": "x"}]}, "actions.0.assignee"),
        ({**COMPLAINT, "actions": [{"type": "notify", "to": {"role": "owner"}, "message": "m", "cc": 1}]}, "actions.0.cc"),
        ({**COMPLAINT, "conditions": {"all": [{"field": "record.level", "op": "eq", "value": "A"},
                                              {"field": "record.level", "op": "like", "value": "A"}]}}, "conditions.all.1.op"),
        ({**COMPLAINT, "conditions": {"field": "customer.level", "op": "eq", "value": "A"}}, "conditions.field"),
        ({**COMPLAINT, "conditions": {"field": "record.tags", "op": "in", "value": "vip"}}, "conditions.value"),
        ({**COMPLAINT, "actions": []}, "actions"),
        ({k: v for k, v in COMPLAINT.items() if k != "name"}, "name"),
    ]
    for body, field in cases:
        answer = automation.post("/v1/rules", body)
        assert answer.status_code == 400, (field, answer.json)
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert field in [e["field"] for e in answer.json["errors"]], (field, answer.json["errors"])
    assert automation.rt.db.rules.count_documents({}) == 0 and automation.rt.db.rule_versions.count_documents({}) == 0


def test_the_published_schema_accepts_every_shape_of_the_issue_and_so_does_the_api(automation):
    published = automation.client.get("/v1/rules/schema", headers=automation.admin)
    assert published.status_code == 200
    validator = jsonschema.Draft202012Validator(published.json)
    for trigger in SHAPES["trigger"]:
        for conditions in SHAPES["conditions"]:
            body = {"name": "shape", "trigger": trigger, "conditions": conditions, "actions": SHAPES["actions"]}
            assert not list(validator.iter_errors(body)), (trigger, conditions)
    for trigger in SHAPES["trigger"]:
        answer = automation.post("/v1/rules", {"name": "shape", "trigger": trigger, "actions": SHAPES["actions"]})
        assert answer.status_code == 201, answer.json
    assert list(validator.iter_errors({"name": "x", "trigger": {"type": "event"}, "actions": SHAPES["actions"]}))


def test_a_webhook_secret_is_never_shown_and_time_triggers_are_activated(automation):
    body = {**COMPLAINT, "actions": [SHAPES["actions"][8]]}
    made = automation.post("/v1/rules", body).json
    assert made["actions"][0]["secret"] == "***"
    for trigger in SHAPES["trigger"][2:]:
        timed = automation.post("/v1/rules", {**COMPLAINT, "trigger": trigger}).json
        activated = automation.post(f"/v1/rules/{timed['id']}:activate")
        assert activated.status_code == 200 and activated.json["status"] == "active", activated.json
    bad = automation.post("/v1/rules", {**COMPLAINT, "trigger": {"type": "schedule", "cron": "0 25 * * 1"}})
    assert bad.status_code == 400 and [e["field"] for e in bad.json["errors"]] == ["trigger.cron"]


def test_every_change_is_audited_and_announced(automation):
    rule = automation.rule(COMPLAINT)
    automation.post(f"/v1/rules/{rule['id']}:deactivate")
    audit = automation.client.get("/v1/audit?kind=rule", headers=automation.admin).json["items"]
    assert [(row["subject"], row["actor"]) for row in audit] == [(rule["id"], "admin-1")] * 3
    assert audit[0]["before"] is None and audit[1]["after"]["status"] == "active"
    assert [d["kind"] for d in data_of(automation.rt, "crm.config.changed")] == ["rule"] * 3
    assert [d["rule_version"] for d in data_of(automation.rt, "crm.rule.activated")] == [1]
    assert [d["reason"] for d in data_of(automation.rt, "crm.rule.deactivated")] == ["admin"]
