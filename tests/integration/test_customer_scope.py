"""Who sees which customers: the one scope filter, run against a real collection."""
import pytest

from crm_common.auth import Principal
from crm_common.kernel.scope import customer_scope

CUSTOMERS = [
    {"_id": "c-east", "owner_id": "rep1", "collaborator_ids": [], "department_path": ["root", "sales", "east"]},
    {"_id": "c-east-team", "owner_id": "rep2", "collaborator_ids": ["rep1"],
     "department_path": ["root", "sales", "east", "team1"]},
    {"_id": "c-west", "owner_id": "rep3", "collaborator_ids": [], "department_path": ["root", "sales", "west"]},
]


@pytest.fixture
def customers(runtime_for):
    collection = runtime_for("customer").db.customers
    collection.insert_many(CUSTOMERS)
    return collection


def visible(customers, principal):
    return sorted(c["_id"] for c in customers.find(customer_scope(principal)))


def test_an_admin_sees_every_customer(customers):
    assert visible(customers, Principal("a1", "root", "admin")) == ["c-east", "c-east-team", "c-west"]


def test_a_manager_sees_the_customers_of_their_department_subtree(customers):
    east = Principal("m1", "mei", "manager", ["root", "sales", "east"])
    assert visible(customers, east) == ["c-east", "c-east-team"]
    sales = Principal("m2", "li", "manager", ["root", "sales"])
    assert visible(customers, sales) == ["c-east", "c-east-team", "c-west"]


def test_a_rep_sees_own_and_collaborated_customers(customers):
    assert visible(customers, Principal("rep1", "ann", "rep", ["root", "sales", "east"])) == ["c-east", "c-east-team"]
    assert visible(customers, Principal("rep2", "bo", "rep", ["root", "sales", "east", "team1"])) == ["c-east-team"]


def test_a_manager_without_a_department_sees_only_their_own(customers):
    assert visible(customers, Principal("rep3", "cai", "manager", [])) == ["c-west"]
