"""A quote marked sent mails the customer's primary contact with the quote's PDF attached; a contract
finally approved mails "合同已在途中"; both are transactional: no consent needed, a marketing opt-out
does not stop them, a bounce does."""
from notify.contacts import suppression
from notify.deliveries import outbound

from .conftest import allow_local_receivers, iso


def quote_sent(feed, quote_id="Q1", customer_id="C1"):
    return feed.send("crm.quote.sent", quote_id, {
        "quote_id": quote_id, "first_id": quote_id, "quote_version": 2, "opportunity_id": "O1",
        "customer_id": customer_id, "owner_id": "rep-1", "department_path": ["D1"], "status": "sent",
        "valid_until": "2027-01-31", "subtotal": "200.00", "discount_total": "20.00", "total": "180.00",
        "lines": [{"product_id": "P1", "description": "年费", "quantity": "2", "unit_price": "100.00",
                   "discount": "0.1", "total": "180.00"}], "by": "rep-1", "sent_at": iso(feed.now())})


def contract_approved(feed, final, contract_id="K-1"):
    return feed.send("crm.contract.approved", contract_id, {
        "contract_id": contract_id, "customer_id": "C1", "opportunity_id": "O1", "owner_id": "rep-1",
        "title": "年度服务", "number": "HT-1", "amount": "180.00", "start_date": "2027-01-01",
        "end_date": "2027-12-31", "status": "approved" if final else "pending_approval", "step": "manager",
        "by": "boss", "at": iso(feed.now()), "comment": None, "automatic": False, "final": final,
        "awaiting": None if final else {"step": "admin", "approver_ids": ["u-admin"]}})


def test_a_sent_quote_mails_its_pdf_to_the_primary_contact_without_consent_and_despite_an_opt_out(
        rt, client, token_for, feed, smtp):
    admin = allow_local_receivers(client, token_for("u-admin", "admin"))
    assert client.put("/v1/settings/smtp", headers=admin, json={
        "host": "127.0.0.1", "port": smtp.port, "from": "crm@example.cn", "username": None,
        "starttls": False}).status_code == 200
    feed.user("rep-1")
    feed.customer("C1", contacts=[
        {"contact_id": "a-first", "name": "Wang", "phones": [], "wechat_ids": [], "emails": ["wang@example.com"],
         "email": "wang@example.com"},
        {"contact_id": "b-second", "name": "Zhao", "phones": [], "wechat_ids": [], "emails": ["zhao@example.com"],
         "email": "zhao@example.com"}])
    rt.transaction(lambda s: suppression.suppress(rt, s, channel="email", contact_id="a-first", source="test"))
    quote_sent(feed)
    quote_sent(feed)  # delivered again: one mail
    contract_approved(feed, final=False)  # a step of the approval: nothing goes yet
    contract_approved(feed, final=True, contract_id="K-2")
    outbound.run(rt, run_seconds=5)
    assert len(smtp.messages) == 2
    quote, contract = sorted(smtp.messages, key=lambda m: m["message"]["Subject"])[::-1]
    assert quote["to"] == ["wang@example.com"] and quote["message"]["Subject"] == "Acme C1的报价单"
    [pdf] = list(quote["message"].iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "quote-Q1.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert "List-Unsubscribe" not in quote["message"]  # transactional: no marketing headers
    assert "合同已在途中" in contract["message"].get_body(("plain",)).get_content()
    assert rt.db.deliveries.count_documents({"kind": {"$in": ["quote_sent", "contract_sent"]}}) == 2


def test_a_bounced_address_gets_no_transactional_mail(rt, feed):
    feed.customer("C1", contacts=[{"contact_id": "k1", "name": "Wang", "phones": [], "wechat_ids": [],
                                   "emails": ["wang@example.com"], "email": "wang@example.com"}])
    rt.transaction(lambda s: suppression.stop_channel(rt, s, contact_id="k1", channel="email", reason="550 no user"))
    quote_sent(feed)
    assert rt.db.deliveries.count_documents({}) == 0


def test_the_quote_goes_to_the_contact_the_customer_marked_primary_even_when_it_is_listed_second(rt, feed):
    people = [{"contact_id": f"k{n}", "name": name, "phones": [], "wechat_ids": [], "emails": [f"{name}@example.com"],
               "email": f"{name}@example.com", "primary": False} for n, name in ((1, "wang"), (2, "zhao"))]
    people[1]["primary"] = True
    feed.customer("C1", contacts=people)
    quote_sent(feed)
    assert [d["to"] for d in rt.db.deliveries.find({"kind": "quote_sent"})] == ["zhao@example.com"]
    people[1]["primary"], people[0]["primary"] = False, True  # the customer moved the mark
    feed.customer("C1", kind="updated", contacts=people)
    quote_sent(feed, quote_id="Q2")
    assert [d["to"] for d in rt.db.deliveries.find({"kind": "quote_sent"}).sort("created_at", 1)] == [
        "zhao@example.com", "wang@example.com"]
