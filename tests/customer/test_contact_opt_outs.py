"""Issue 25: the customer's events say where notify writes to each contact (email, mobile), and the
customer shows a contact's opt-outs that notify publishes (crm.contact.unsubscribed)."""
from crm_common.consumer import deliver
from crm_common.testing.events import outbox_events
from customer.service import handlers


def test_snapshots_carry_email_and_mobile_and_an_opt_out_shows_on_the_contact_through_edits(rt, org, client):
    alice = org.headers["alice"]
    made = org.customer(contacts=[{"name": "Wang Fang", "phones": ["010 6234 5678", "13800138000"],
                                   "emails": ["Wang@Acme.cn"]}])
    [contact] = outbox_events(rt.db, "crm.customer.created")[-1]["data"]["contacts"]
    assert (contact["email"], contact["mobile"]) == ("wang@acme.cn", "+8613800138000")  # the landline takes no SMS
    contact_id = made["contacts"][0]["contact_id"]
    for at in ("2026-12-07T05:07:00Z", "2026-12-08T00:00:00Z"):  # the second opt-out keeps the first time
        event = rt.event("crm.contact.unsubscribed", contact_id, {
            "contact_id": contact_id, "kind": "customer_contact", "customer_id": made["id"], "lead_id": None,
            "channel": "email", "source": "unsubscribe_link", "unsubscribed_at": at}, key=made["id"])
        assert deliver(rt, "customer", handlers(rt), event)
    got = client.get(f"/v1/customers/{made['id']}", headers=alice)
    assert got.json["contacts"][0]["unsubscribed"] == {"email": "2026-12-07T05:07:00+00:00"}
    edited = client.patch(f"/v1/customers/{made['id']}/contacts/{contact_id}", json={"title": "CFO"},
                          headers={**alice, "If-Match": got.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    assert edited.json["contacts"][0]["unsubscribed"] == {"email": "2026-12-07T05:07:00+00:00"}
