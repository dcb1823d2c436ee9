"""Scoped queries split into flat, indexed branches; pages read them branch by branch."""
from crm_common import queries


def test_a_scoped_query_splits_into_flat_indexed_branches():
    rep_scope = {"$or": [{"owner_id": "u1"}, {"collaborator_ids": "u1"}]}
    assert queries.branches(queries.both(rep_scope, {"stage": "proposal"})) == [
        {"owner_id": "u1", "stage": "proposal"}, {"collaborator_ids": "u1", "stage": "proposal"}]
    assert queries.both({"owner_id": "u1"}, {"owner_id": "u1"}) == {"owner_id": "u1"}
    assert queries.both({"owner_id": "u1"}, {"owner_id": "u2"}) == {"$and": [{"owner_id": "u1"}, {"owner_id": "u2"}]}
