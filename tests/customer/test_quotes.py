"""Quotes (报价单) on an opportunity: exact totals, scope, versions frozen by sending, accept and reject,
expiry, what they do to the opportunity (its amount, the proposal condition), and the Chinese PDF."""
import io
from datetime import timedelta

import pypdf

from crm_common.events import validate
from crm_common.testing.events import data_of, of

INVOICE = {"title": "杭州阿克米科技有限公司", "tax_id": "91330000X"}
NEAR = (__import__("datetime").date.today() + timedelta(days=30)).isoformat()


class Deal:
    """One of alice's customers (a Chinese name) and its opportunity, worked through the API."""

    def __init__(self, org, client, as_user="alice"):
        self.client, self.org, self.headers = client, org, org.headers[as_user]
        self.customer_id = org.customer(as_user, name="杭州阿克米科技有限公司", invoice_info=INVOICE)["id"]
        made = client.post(f"/v1/customers/{self.customer_id}/opportunities", json={"name": "首单"}, headers=self.headers)
        assert made.status_code == 201, made.json
        self.id = made.json["id"]

    def quote(self, lines, valid_until=NEAR, **extra):
        return self.client.post(f"/v1/opportunities/{self.id}/quotes", json={"lines": lines, "valid_until": valid_until,
                                                                              **extra}, headers=self.headers)

    def act(self, quote_id, action, **body):
        return self.client.post(f"/v1/quotes/{quote_id}/{action}", json=body, headers=self.headers)

    def get(self, quote_id, who=None):
        return self.client.get(f"/v1/quotes/{quote_id}", headers=who or self.headers)

    def edit(self, quote_id, **body):
        etag = self.get(quote_id).headers["ETag"]
        return self.client.patch(f"/v1/quotes/{quote_id}", json=body, headers={**self.headers, "If-Match": etag})

    def deal(self):
        return self.client.get(f"/v1/opportunities/{self.id}", headers=self.headers)

    def stage(self, stage):
        return self.client.post(f"/v1/opportunities/{self.id}/stage", json={"stage": stage}, headers=self.headers)


def product(org, client, **fields):
    body = {"name": "企业版年费", "code": "ENT", "unit": "套", "list_price": "12800.00", **fields}
    made = client.post("/v1/products", json=body, headers=org.admin)
    assert made.status_code == 201, made.json
    return made.json


def test_a_draft_prices_its_lines_exactly(org, client):
    deal, ent = Deal(org, client), product(org, client)
    made = deal.quote([{"product_id": ent["id"], "quantity": 3, "discount": "0.15"},
                       {"description": "实施服务（人天）", "quantity": "2.5", "unit_price": "1999.99"},
                       {"description": "培训", "quantity": 1, "unit_price": 0.1, "discount": 0.333}])
    assert made.status_code == 201, made.json
    quote = made.json
    assert (quote["status"], quote["quote_version"], made.headers["ETag"]) == ("draft", 1, '"1"')
    first, second, third = quote["lines"]
    # the product line takes its name, unit and list price
    assert (first["description"], first["unit"], first["unit_price"], first["quantity"]) == ("企业版年费", "套", "12800.00", "3")
    assert (first["gross"], first["discount_amount"], first["total"]) == ("38400.00", "5760.00", "32640.00")
    assert (second["gross"], second["total"], second["discount"]) == ("4999.98", "4999.98", "0")  # 2.5 × 1999.99, to the fen
    assert (third["discount_amount"], third["total"]) == ("0.03", "0.07")  # 0.10 × 0.333 = 0.0333, half up
    assert (quote["subtotal"], quote["discount_total"], quote["total"]) == ("43400.08", "5760.03", "37640.05")
    listed = client.get(f"/v1/opportunities/{deal.id}/quotes", headers=deal.headers).json
    assert [q["id"] for q in listed] == [quote["id"]]


def test_bad_lines_are_refused_naming_the_field_and_nothing_is_stored(org, client):
    deal = Deal(org, client)
    withdrawn = product(org, client, code="OLD", active=False)
    cases = [([{"quantity": 1, "unit_price": 10}], "lines.0.description"),
             ([{"description": "x", "quantity": 1}], "lines.0.unit_price"),
             ([{"description": "x", "quantity": 0, "unit_price": 10}], "lines.0.quantity"),
             ([{"description": "x", "quantity": 1, "unit_price": 10, "discount": 1.5}], "lines.0.discount"),
             ([{"description": "x", "quantity": 1, "unit_price": "1.001"}], "lines.0.unit_price"),
             ([{"description": "x", "quantity": "abc", "unit_price": 1}], "lines.0.quantity"),
             ([{"description": "x", "quantity": 1000000, "unit_price": 999999999}], "lines.0.quantity"),
             ([{"product_id": "nope", "quantity": 1}], "lines.0.product_id"),
             ([{"product_id": withdrawn["id"], "quantity": 1}], "lines.0.product_id"),
             ([], "lines")]
    for lines, field in cases:
        answer = deal.quote(lines)
        assert answer.status_code == 400 and answer.content_type == "application/problem+json", (lines, answer.json)
        assert field in [e["field"] for e in answer.json["errors"]], (lines, answer.json)
    assert "valid_until" in [e["field"] for e in deal.quote([{"description": "x", "quantity": 1, "unit_price": 1}],
                                                            valid_until="next week").json["errors"]]
    assert client.get(f"/v1/opportunities/{deal.id}/quotes", headers=deal.headers).json == []


def test_a_quote_is_scoped_like_its_opportunity(org, client):
    deal = Deal(org, client)
    quote = deal.quote([{"description": "x", "quantity": 1, "unit_price": 10}]).json
    carol = org.headers["carol"]
    assert deal.get(quote["id"], carol).status_code == 404
    assert client.post(f"/v1/opportunities/{deal.id}/quotes", json={"lines": [{"description": "x", "quantity": 1,
                       "unit_price": 1}], "valid_until": NEAR}, headers=carol).status_code == 404
    assert client.post(f"/v1/quotes/{quote['id']}/send", json={}, headers=carol).status_code == 404
    assert client.get(f"/v1/quotes/{quote['id']}.pdf", headers=carol).status_code == 404
    assert deal.get(quote["id"], org.headers["east_manager"]).status_code == 200  # alice's manager sees it


def test_sending_freezes_a_version_and_an_edit_makes_the_next(org, client, rt):
    deal = Deal(org, client)
    quote = deal.quote([{"description": "年费", "quantity": 1, "unit_price": 1000}]).json
    edited = deal.edit(quote["id"], lines=[{"description": "年费", "quantity": 2, "unit_price": 1000}])
    assert edited.status_code == 200 and edited.json["total"] == "2000.00" and edited.headers["ETag"] == '"2"'
    assert client.patch(f"/v1/quotes/{quote['id']}", json={"note": "x"}, headers=deal.headers).status_code == 428
    sent = deal.act(quote["id"], "send")
    assert sent.status_code == 200 and sent.json["status"] == "sent", sent.json
    (event,) = of(rt, "crm.quote.sent", quote["id"])
    validate(event)
    assert event["partitionkey"] == deal.customer_id and event["data"]["total"] == "2000.00"
    assert deal.act(quote["id"], "send").status_code == 409
    second = deal.edit(quote["id"], lines=[{"description": "年费", "quantity": 3, "unit_price": 900}])
    assert second.status_code == 201, second.json
    assert (second.json["quote_version"], second.json["status"], second.json["total"]) == (2, "draft", "2700.00")
    assert second.json["first_id"] == quote["id"] and second.json["previous_id"] == quote["id"]
    frozen = deal.get(quote["id"]).json
    assert (frozen["status"], frozen["total"]) == ("sent", "2000.00")  # the sent version stays as sent
    again = deal.edit(quote["id"], note="another draft")
    assert again.status_code == 409 and again.json["draft_id"] == second.json["id"]
    assert deal.act(second.json["id"], "send").status_code == 200
    assert deal.get(quote["id"]).json["status"] == "superseded"
    assert deal.act(quote["id"], "accept").status_code == 409  # the customer answers the latest version
    listed = client.get(f"/v1/opportunities/{deal.id}/quotes", headers=deal.headers).json
    assert [(q["quote_version"], q["status"]) for q in listed] == [(1, "superseded"), (2, "sent")]


def test_accept_and_reject_only_a_sent_quote(org, client, rt):
    deal = Deal(org, client)
    line = [{"description": "年费", "quantity": 1, "unit_price": 500}]
    draft = deal.quote(line).json
    for action in ("accept", "reject"):
        refused = deal.act(draft["id"], action)
        assert refused.status_code == 409 and refused.json["reason"] == "quote_draft", refused.json
    deal.act(draft["id"], "send")
    rejected = deal.act(draft["id"], "reject", reason="太贵")
    assert rejected.status_code == 200 and (rejected.json["status"], rejected.json["reject_reason"]) == ("rejected", "太贵")
    (data,) = data_of(rt, "crm.quote.rejected", draft["id"])
    assert data["reason"] == "太贵"
    assert deal.act(draft["id"], "accept").status_code == 409
    assert deal.edit(draft["id"], note="x").status_code == 409  # settled


def test_an_accepted_quote_sets_the_opportunitys_amount(org, client, rt):
    deal = Deal(org, client)
    quote = deal.quote([{"description": "年费", "quantity": 4, "unit_price": "2500.25", "discount": 0.1}]).json
    deal.act(quote["id"], "send")
    accepted = deal.act(quote["id"], "accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    opportunity = deal.deal().json
    assert opportunity["amount"] == "9000.90" == accepted.json["total"]
    assert opportunity["amount_source"] == {"kind": "quote", "quote_id": quote["id"], "quote_version": 1}
    customer = client.get(f"/v1/customers/{deal.customer_id}", headers=deal.headers).json
    assert customer["pipeline_amount"] == "9000.90"  # 商机总额 follows
    (event,) = of(rt, "crm.quote.accepted", quote["id"])
    validate(event)
    assert event["partitionkey"] == deal.customer_id
    typed = client.patch(f"/v1/opportunities/{deal.id}", json={"amount": 8000},
                         headers={**deal.headers, "If-Match": deal.deal().headers["ETag"]})
    assert typed.json["amount"] == "8000.00" and typed.json["amount_source"] is None


def test_a_sent_quote_satisfies_the_proposal_condition(org, client):
    deal = Deal(org, client)
    etag = deal.deal().headers["ETag"]
    facts = client.patch(f"/v1/opportunities/{deal.id}", json={"interest_expressed": True, "needs": "CRM",
                                                               "needs_matched": True, "terms_agreed": True},
                         headers={**deal.headers, "If-Match": etag})
    assert facts.status_code == 200, facts.json
    quote = deal.quote([{"description": "年费", "quantity": 1, "unit_price": 500}]).json
    before = deal.stage("negotiation")
    assert before.status_code == 409
    assert [m["condition"] for m in before.json["missing_conditions"]] == ["proposal_attached"]
    assert deal.act(quote["id"], "send").status_code == 200
    after = deal.stage("negotiation")
    assert after.status_code == 200 and after.json["stage"] == "negotiation", after.json


def test_a_sent_quote_expires_past_its_date(org, client, rt):
    deal = Deal(org, client)
    soon = (rt.clock.now().date() + timedelta(days=2)).isoformat()
    quote = deal.quote([{"description": "年费", "quantity": 1, "unit_price": 500}], valid_until=soon).json
    stale = deal.quote([{"description": "年费", "quantity": 1, "unit_price": 500}], valid_until="2020-01-01").json
    refused = deal.act(stale["id"], "send")
    assert refused.status_code == 409 and refused.json["errors"][0]["field"] == "valid_until"
    deal.act(quote["id"], "send")
    rt.clock.set_offset(timedelta(days=3))
    try:
        assert deal.get(quote["id"]).json["status"] == "expired"
        late = deal.act(quote["id"], "accept")
        assert late.status_code == 409 and late.json["reason"] == "quote_expired"
    finally:
        rt.clock.set_offset(timedelta(0))


def test_the_pdf_is_in_chinese_with_the_customer_and_the_total(org, client):
    deal, ent = Deal(org, client), product(org, client)
    quote = deal.quote([{"product_id": ent["id"], "quantity": 2}]).json
    answer = client.get(f"/v1/quotes/{quote['id']}.pdf", headers=deal.headers)
    assert answer.status_code == 200 and answer.content_type == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.data)).pages)
    assert "杭州阿克米科技有限公司" in text and "报价单" in text and "企业版年费" in text
    assert "合计：¥25600.00" in text
    assert client.get(f"/v1/quotes/{quote['id']}", headers=deal.headers).content_type == "application/json"
