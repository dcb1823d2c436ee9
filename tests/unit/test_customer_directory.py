"""Who sees which part of the organisation (issue 21): a rep the users, departments and teams of their own
department and below it; a manager and an admin the whole directory, as before. Pure filters, checked by
matching them against plain documents here, without a database."""
from crm_common.auth import Principal
from customer.org import directory

EAST, WEST = ["sales", "east"], ["sales", "west"]
ALICE = Principal("u-alice", "alice", "rep", EAST)
USERS = [{"_id": "u-alice", "department_path": EAST}, {"_id": "u-bob", "department_path": EAST},
         {"_id": "u-eve", "department_path": EAST + ["east-north"]}, {"_id": "u-carol", "department_path": WEST},
         {"_id": "u-boss", "department_path": ["sales"]}]
DEPARTMENTS = [{"_id": "sales", "path": ["sales"]}, {"_id": "east", "path": EAST}, {"_id": "west", "path": WEST},
               {"_id": "east-north", "path": EAST + ["east-north"]}]


def matches(doc: dict, query: dict) -> bool:
    """The few operators these filters use: equality on a scalar or an element of a list, $in, $or."""
    for key, wanted in query.items():
        if key == "$or":
            if not any(matches(doc, branch) for branch in wanted):
                return False
            continue
        if key == "members.user_id":
            value = [m["user_id"] for m in doc.get("members", [])]
        else:
            value = doc.get(key)
        values = value if isinstance(value, list) else [value]
        if isinstance(wanted, dict):
            if not set(values) & set(wanted["$in"]):
                return False
        elif wanted not in values:
            return False
    return True


def seen(docs, query):
    return sorted(d["_id"] for d in docs if matches(d, query))


def test_a_rep_sees_the_users_and_departments_of_their_own_subtree():
    assert seen(USERS, directory.users_filter(ALICE)) == ["u-alice", "u-bob", "u-eve"]
    assert seen(DEPARTMENTS, directory.departments_filter(ALICE)) == ["east", "east-north"]


def test_a_manager_and_an_admin_see_the_whole_directory():
    for principal in (Principal("u-em", "em", "manager", EAST), Principal("u-admin", "admin", "admin", [])):
        assert directory.users_filter(principal) == directory.departments_filter(principal) == {}
        assert directory.teams_filter(principal, []) == {}


def test_a_rep_without_a_department_sees_only_themself():
    lone = Principal("u-lone", "lone", "rep", [])
    assert seen(USERS + [{"_id": "u-lone", "department_path": []}], directory.users_filter(lone)) == ["u-lone"]
    assert seen(DEPARTMENTS, directory.departments_filter(lone)) == []


def test_a_rep_sees_the_teams_of_their_subtree_and_those_they_are_in():
    teams = [{"_id": "east-team", "department_id": "east", "members": []},
             {"_id": "north-team", "department_id": "east-north", "members": []},
             {"_id": "west-team", "department_id": "west", "members": []},
             {"_id": "mixed", "department_id": "west", "members": [{"user_id": "u-alice", "weight": 1}]}]
    assert seen(teams, directory.teams_filter(ALICE, ["east", "east-north"])) == ["east-team", "mixed", "north-team"]
