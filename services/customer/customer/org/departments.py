"""The department tree. Each department keeps its full path of ids from the root,
because every service's data-scope filter matches a manager's department id
anywhere in a customer's `department_path` (crm_common.auth.customer_scope)."""
from __future__ import annotations

from crm_common.kernel.refusals import Conflict, Invalid, NotFound
from crm_common.paging import new_id


def path_of(rt, department_id: str | None, session=None) -> list[str]:
    """The ids from the root down to `department_id`; [] for none."""
    if department_id is None:
        return []
    department = rt.db.departments.find_one({"_id": department_id}, session=session)
    if department is None:
        raise Invalid("no such department", errors=[{"field": "department_id", "message": "unknown"}])
    if not department.get("active", True):
        raise Invalid("the department is deactivated", errors=[{"field": "department_id", "message": "inactive"}])
    return list(department["path"])


def create(rt, session, *, name: str, parent_id: str | None, by: str) -> dict:
    if parent_id is not None:
        parent_path = _parent_path(rt, session, parent_id)
    else:
        parent_path = []
    department_id = new_id()
    now = rt.clock.now()
    department = {"_id": department_id, "name": name, "parent_id": parent_id, "path": parent_path + [department_id],
                  "active": True, "created_at": now, "updated_at": now, "created_by": by}
    rt.db.departments.insert_one(department, session=session)
    rt.publish(session, rt.event("crm.department.created", department_id, event_data(department)))
    return department


def update(rt, session, department_id: str, changes: dict) -> dict:
    """Rename or (de)activate. Moving a department is not offered: every path below it would change."""
    department = rt.db.departments.find_one({"_id": department_id}, session=session)
    if department is None:
        raise NotFound("no such department")
    if changes.get("active") is False and _has_active_members(rt, session, department_id):
        raise Conflict("the department or one below it still has active users; move or deactivate them first")
    department.update(changes, updated_at=rt.clock.now())
    rt.db.departments.replace_one({"_id": department_id}, department, session=session)
    rt.publish(session, rt.event("crm.department.updated", department_id, event_data(department)))
    return department


def event_data(department: dict) -> dict:
    return {"department_id": department["_id"], "name": department["name"], "parent_id": department["parent_id"],
            "path": department["path"], "active": department.get("active", True)}


def subtree_ids(rt, department_id: str) -> list[str]:
    return [d["_id"] for d in rt.db.departments.find({"path": department_id}, {"_id": 1})]


def _parent_path(rt, session, parent_id: str) -> list[str]:
    parent = rt.db.departments.find_one({"_id": parent_id}, session=session)
    if parent is None:
        raise Invalid("no such parent department", errors=[{"field": "parent_id", "message": "unknown"}])
    if not parent.get("active", True):
        raise Invalid("the parent department is deactivated", errors=[{"field": "parent_id", "message": "inactive"}])
    return list(parent["path"])


def _has_active_members(rt, session, department_id: str) -> bool:
    return rt.db.users.count_documents({"department_path": department_id, "active": True}, limit=1,
                                       session=session) > 0
