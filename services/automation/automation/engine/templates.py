"""The rules shipped as templates (DOMAIN §7): an admin instantiates one with a few parameters and gets a
draft rule, checked like any other before it can be activated."""
from __future__ import annotations

from .schema import problems

TEMPLATES = {
    "complaint_to_service": {
        "description": "投诉 in a follow-up: a service task for the after-sales manager, who is notified at once",
        "params": {"type": "object", "additionalProperties": False, "required": ["service_manager_id"],
                   "properties": {"keyword": {"type": "string", "minLength": 1, "maxLength": 50, "default": "投诉"},
                                  "service_manager_id": {"type": "string", "minLength": 1, "maxLength": 64}}},
    },
    "proposal_followup": {
        "description": "an opportunity entering proposal: a follow-up task for its owner, due in `days` days",
        "params": {"type": "object", "additionalProperties": False,
                   "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 7}}},
    },
    "hot_lead_first_contact": {
        "description": "a new hot lead: a first-contact task for its owner due in `hours`, escalated to the "
                       "supervisor and then the department manager after `escalate_days`",
        "params": {"type": "object", "additionalProperties": False,
                   "properties": {"hours": {"type": "integer", "minimum": 1, "maximum": 720, "default": 24},
                                  "escalate_days": {"type": "array", "minItems": 2, "maxItems": 2,
                                                    "items": {"type": "number", "minimum": 0}, "default": [3, 5]}}},
    },
}


def params_problems(name: str, params) -> list[dict]:
    return problems(TEMPLATES[name]["params"], params)


def instantiate(name: str, params: dict) -> dict:
    """The draft rule of a template (its params checked first: `params_problems`)."""
    given = {k: v.get("default") for k, v in TEMPLATES[name]["params"]["properties"].items()} | params
    return _BUILDERS[name](given)


def _complaint_to_service(p: dict) -> dict:
    keyword, manager = p["keyword"], {"user_id": p["service_manager_id"]}
    # The follow-up's whole text, and its summary for events published before the text was carried.
    heard = {"any": [{"field": "event.data.content", "op": "contains_any", "value": [keyword]},
                     {"field": "event.data.summary", "op": "contains_any", "value": [keyword]}]}
    return {"name": f"{keyword} -> after-sales service task", "priority": 10,
            "trigger": {"type": "event", "event_type": "crm.customer.followed_up"},
            "conditions": heard,
            "actions": [{"type": "create_task", "title": f"售后服务: 客户{keyword}", "assignee": manager,
                         "due_in_hours": 24, "priority": "high"},
                        {"type": "notify", "to": manager,
                         "message": f"A follow-up mentions {keyword}: an after-sales task was created for you"}]}


def _proposal_followup(p: dict) -> dict:
    return {"name": "Proposal sent -> follow-up task", "priority": 50,
            "trigger": {"type": "transition", "record": "opportunity", "field": "stage", "to": "proposal"},
            "conditions": {"all": []},
            "actions": [{"type": "create_task", "title": "Follow up on the proposal",
                         "assignee": {"role": "owner"}, "due_in_hours": p["days"] * 24}]}


def _hot_lead_first_contact(p: dict) -> dict:
    first, second = p["escalate_days"]
    return {"name": f"Hot lead -> first contact within {p['hours']} h", "priority": 20,
            "trigger": {"type": "event", "event_type": "crm.lead.assigned"},
            "conditions": {"all": [{"field": "record.bucket", "op": "eq", "value": "hot"}]},
            "actions": [{"type": "create_task", "title": f"首次联系: within {p['hours']} h",
                         "assignee": {"role": "owner"}, "due_in_hours": p["hours"], "priority": "high",
                         "escalate": [{"after_days": first, "to": {"role": "supervisor"}},
                                      {"after_days": second, "to": {"role": "department_manager"}}]}]}


_BUILDERS = {"complaint_to_service": _complaint_to_service, "proposal_followup": _proposal_followup,
             "hot_lead_first_contact": _hot_lead_first_contact}
