"""查重 on hand entry: a customer entered or edited by hand, or a contact added, is refused when another
customer or a lead has the same company with the same contact name, as an import row is; the same
company without the name is entered and flagged for a person to merge or keep apart."""
from .conftest import new_phone
from .test_lead_keys import received


def enter(client, headers, name, contact):
    return client.post("/v1/customers", headers=headers, json={
        "name": name, "contacts": [{"name": contact, "phones": [new_phone()]}]})


def test_the_same_company_and_contact_name_entered_again_is_refused_with_whom_it_matches(org, client):
    first = enter(client, org.headers["alice"], "北京云帆科技有限公司", "Sun Li")
    assert first.status_code == 201 and "possible_duplicates" not in first.json
    again = enter(client, org.headers["alice"], "云帆科技（北京）有限公司", "sun li")  # spelt otherwise
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    assert (again.json["duplicate_of_kind"], again.json["duplicate_of"], again.json["matched_keys"]) == (
        "customer", first.json["id"], ["company:云帆科技+name"])
    # scoped as today: bob may not learn which customer it is
    theirs = enter(client, org.headers["bob"], "云帆科技", "Sun Li")
    assert theirs.status_code == 409 and theirs.json["duplicate_of"] is None
    listed = client.get("/v1/customers", headers=org.admin, query_string={"limit": 100}).json["items"]
    assert [c["name"] for c in listed].count("云帆科技") == 0  # nothing half-written


def test_the_same_company_without_the_name_is_entered_and_flagged(org, client):
    first = enter(client, org.headers["alice"], "上海海川物流有限公司", "Wang Fang")
    other = enter(client, org.headers["alice"], "海川物流", "Liu Yang")
    assert other.status_code == 201
    assert other.json["possible_duplicates"] == {"reason": "same_company_key", "company_key": "海川物流",
                                                 "candidates": [first.json["id"]], "not_shown": 0}
    by_bob = enter(client, org.headers["bob"], "海川物流", "Chen Jie")
    assert by_bob.status_code == 201
    assert (by_bob.json["possible_duplicates"]["candidates"], by_bob.json["possible_duplicates"]["not_shown"]) == ([], 2)


def test_a_contact_added_or_a_rename_that_makes_a_match_is_refused(org, client):
    enter(client, org.headers["alice"], "深圳前海星辰科技有限公司", "Zhou Min")
    mine = enter(client, org.headers["alice"], "Another Co", "Zhou Min").json
    url = f"/v1/customers/{mine['id']}"
    renamed = client.patch(url, headers={**org.headers["alice"], "If-Match": '"1"'},
                           json={"name": "前海星辰科技"})
    assert renamed.status_code == 409 and renamed.json["duplicate_of_kind"] == "customer"
    assert client.get(url, headers=org.headers["alice"]).json["name"] == "Another Co"  # unchanged
    third = enter(client, org.headers["alice"], "前海星辰科技", "Huang Lei").json
    added = client.post(f"/v1/customers/{third['id']}/contacts", headers={**org.headers["alice"], "If-Match": '"1"'},
                        json={"name": "Zhou Min", "emails": ["zhou@xc.cn"]})
    assert added.status_code == 409 and added.json["matched_keys"] == ["company:前海星辰科技+name"]
    # an edit that brings no new likeness is never refused for an old one
    kept = client.patch(f"/v1/customers/{third['id']}", headers={**org.headers["alice"], "If-Match": '"1"'},
                        json={"level": "A"})
    assert kept.status_code == 200


def test_a_lead_with_the_same_company_and_contact_name_refuses_the_hand_entry(org, client, rt):
    received(rt, "L9", name="Sun Li", company="杭州远航网络有限公司", phones=["+8613600136009"])
    refused = enter(client, org.headers["alice"], "远航网络（杭州）有限公司", "sun li")
    assert (refused.status_code, refused.json["duplicate_of_kind"], refused.json["matched_keys"]) == (
        409, "lead", ["company_contact:远航网络/sunli"])
