"""Issue 12: a manager hands customers only to users of their own department or one below it,
whether by reassigning, transferring or importing a CSV for someone."""


def owner_move(client, org, customer, path, field, user, as_user):
    return client.post(f"/v1/customers/{customer['id']}/{path}", json={field: org.id(user)},
                       headers=org.headers[as_user])


def test_a_manager_reassigns_or_transfers_only_within_their_subtree(org, client):
    customer = org.customer("alice")
    for path, field in (("owner", "owner_id"), ("transfer", "to_user_id")):
        refused = owner_move(client, org, customer, path, field, "carol", "east_manager")  # carol is in West
        assert refused.status_code == 403, (path, refused.json)
        assert refused.json["errors"] == [{"field": field, "message": "outside your department"}]
    assert client.get(f"/v1/customers/{customer['id']}", headers=org.headers["alice"]).json["owner_id"] == org.id(
        "alice")
    assert owner_move(client, org, customer, "owner", "owner_id", "bob", "east_manager").status_code == 200
    # the head of Sales reaches both East and West
    assert owner_move(client, org, customer, "owner", "owner_id", "carol", "boss").status_code == 200


def test_a_rep_transfers_their_customer_only_within_their_own_subtree(org, client):
    """Issue 21: alice (East) cannot hand her customer to carol (West), nor up to the head of Sales."""
    customer = org.customer("alice")
    for user in ("carol", "boss"):
        refused = owner_move(client, org, customer, "transfer", "to_user_id", user, "alice")
        assert refused.status_code == 403, (user, refused.json)
        assert refused.json["errors"] == [{"field": "to_user_id", "message": "outside your department"}]
    assert client.get(f"/v1/customers/{customer['id']}", headers=org.headers["alice"]).json["owner_id"] == org.id(
        "alice")
    moved = owner_move(client, org, customer, "transfer", "to_user_id", "bob", "alice")
    assert moved.status_code == 200 and moved.json["owner_id"] == org.id("bob")


def test_a_manager_imports_only_for_users_within_their_subtree(org, client):
    body = b"name,phone\nOutside Co,13700137000\n"

    def import_for(user):
        return client.post("/v1/customers:import", data=body, content_type="text/csv",
                           query_string={"owner_id": org.id(user)}, headers=org.headers["east_manager"])
    refused = import_for("carol")
    assert refused.status_code == 403 and refused.json["errors"][0]["field"] == "owner_id"
    assert client.get("/v1/customers", headers=org.headers["carol"]).json["items"] == []
    assert import_for("bob").json["created"] == 1
