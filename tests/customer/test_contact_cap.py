"""At most contacts.MAX_PER_CUSTOMER contacts per customer: every customer event carries them all."""
from customer.customers.contacts import MAX_PER_CUSTOMER

from .conftest import new_phone


def contact(i):
    return {"name": f"Contact {i}", "phones": [new_phone()]}


def refused_on_contacts(response):
    assert response.status_code == 400, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json["errors"]] == ["contacts"]


def test_a_customer_is_created_with_at_most_the_cap(org, client, rt):
    alice = org.headers["alice"]
    refused_on_contacts(client.post("/v1/customers", headers=alice, json={
        "name": "Too Many", "contacts": [contact(i) for i in range(MAX_PER_CUSTOMER + 1)]}))
    assert rt.db.customers.count_documents({"name": "Too Many"}) == 0
    full = org.customer(name="Full", contacts=[contact(i) for i in range(MAX_PER_CUSTOMER)])
    assert len(full["contacts"]) == MAX_PER_CUSTOMER


def test_adding_a_contact_beyond_the_cap_is_refused_and_changes_nothing(org, client, rt):
    alice = org.headers["alice"]
    customer = org.customer(contacts=[contact(i) for i in range(MAX_PER_CUSTOMER - 1)])
    url = f"/v1/customers/{customer['id']}/contacts"
    last = client.post(url, json=contact("last"), headers=alice)
    assert last.status_code == 201 and len(last.json["contacts"]) == MAX_PER_CUSTOMER
    extra = contact("extra")
    refused_on_contacts(client.post(url, json=extra, headers=alice))
    stored = client.get(f"/v1/customers/{customer['id']}", headers=alice).json
    assert len(stored["contacts"]) == MAX_PER_CUSTOMER and stored["version"] == last.json["version"]
    assert rt.db.contact_keys.count_documents({"_id": f"phone:+86{extra['phones'][0]}"}) == 0


def test_an_update_cannot_carry_contacts_past_the_cap(org, client):
    """Contacts are not a field of the customer's PATCH (they have their own resource): refused by name."""
    alice = org.headers["alice"]
    customer = org.customer()
    url = f"/v1/customers/{customer['id']}"
    etag = client.get(url, headers=alice).headers["ETag"]
    patch = client.patch(url, json={"contacts": [contact(i) for i in range(MAX_PER_CUSTOMER + 1)]},
                         headers={**alice, "If-Match": etag})
    assert patch.status_code == 400 and [e["field"] for e in patch.json["errors"]] == ["contacts"]
    assert len(client.get(url, headers=alice).json["contacts"]) == 1
