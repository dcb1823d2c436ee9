"""Money is exact (issue 12): amounts go in as numbers or decimal strings, are stored as Decimal128,
come out of answers, events and exports as decimal strings, and 0.1 + 0.2 is 0.30 in every total."""
import csv
import io
from decimal import Decimal

from bson.decimal128 import Decimal128

from crm_common.testing.events import data_of, outbox_events

PROBLEM = "application/problem+json"


def test_a_contract_paid_0_1_then_0_2_is_paid_0_30_in_every_total(org, client, rt):
    customer = org.customer("alice")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    signed = client.post(f"{url}/contracts", headers=alice,
                         json={"amount": "0.30", "start_date": "2025-01-01", "end_date": "2025-12-31"})
    assert signed.status_code == 201, signed.json
    assert (signed.json["amount"], signed.json["paid"], signed.json["unpaid"]) == ("0.30", "0.00", "0.30")
    contract_id = signed.json["id"]
    for amount in (0.1, "0.2"):  # a JSON number and a decimal string alike
        paid = client.post(f"{url}/payments", headers=alice,
                           json={"amount": amount, "received_on": "2025-02-01", "contract_id": contract_id})
        assert paid.status_code == 201, paid.json
    shown = client.get(url, headers=alice).json
    assert (shown["order_total"], shown["paid_total"], shown["outstanding"]) == ("0.30", "0.30", "0.00")
    [contract] = client.get(f"{url}/contracts", headers=alice).json
    assert (contract["amount"], contract["paid"], contract["unpaid"]) == ("0.30", "0.30", "0.00")
    assert [p["amount"] for p in client.get(f"{url}/payments", headers=alice).json] == ["0.10", "0.20"]
    # Nothing is left to pay: a fen more is refused, saying exactly what is unpaid.
    over = client.post(f"{url}/payments", headers=alice,
                       json={"amount": "0.01", "received_on": "2025-02-02", "contract_id": contract_id})
    assert over.status_code == 409 and over.json["errors"] == [{"field": "amount", "message": "at most 0.00"}]
    # Stored as Decimal128, which the database adds exactly ($inc on the contract's paid).
    stored = rt.db.customers.find_one({"_id": customer["id"]})
    assert (stored["order_total"], stored["paid_total"]) == (Decimal128("0.30"), Decimal128("0.30"))
    paid = rt.db.contracts.find_one({"_id": contract_id})["paid"]
    assert isinstance(paid, Decimal128) and paid.to_decimal() == Decimal("0.3")
    # Events carry the same strings.
    [sign] = data_of(rt, "crm.customer.contract_signed", customer["id"])
    assert (sign["amount"], sign["order_total"]) == ("0.30", "0.30")
    assert [(p["amount"], p["paid_total"], p["outstanding"])
            for p in data_of(rt, "crm.customer.payment_received", customer["id"])] == [
        ("0.10", "0.10", "0.20"), ("0.20", "0.30", "0.00")]


def test_ten_purchases_of_0_1_make_1_00_and_the_export_says_so(org, client, rt):
    customer = org.customer("alice", level="A")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    for _ in range(10):  # paid on the spot: each adds to the order total and the paid total
        assert client.post(f"{url}/payments", headers=alice,
                           json={"amount": 0.1, "received_on": "2025-03-01"}).status_code == 201
    shown = client.get(url, headers=alice).json
    assert (shown["order_total"], shown["paid_total"], shown["outstanding"]) == ("1.00", "1.00", "0.00")
    assert data_of(rt, "crm.customer.payment_received", customer["id"])[-1]["paid_total"] == "1.00"
    exported = client.get("/v1/customers:export", query_string={"level": "A"}, headers=alice)
    [row] = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert (row["order_total"], row["paid_total"], row["outstanding"]) == ("1.00", "1.00", "0.00")


def test_the_expected_amount_is_exact_and_grades_at_the_fen(org, client, rt):
    customer = org.customer("alice")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]

    def qualify(amount):
        answer = client.put(f"{url}/qualification", headers=alice,
                            json={"qualitative": "valuable", "expected_amount": amount})
        assert answer.status_code == 200, answer.json
        return answer.json

    below = qualify(49999.99)
    assert (below["qualification"]["grade"], below["qualification"]["expected_amount"]) == ("small", "49999.99")
    assert qualify("50000")["qualification"]["grade"] == "normal"
    large = qualify("500000.10")
    assert (large["qualification"]["grade"], large["opportunity_total"]) == ("large", "500000.10")
    unknown = qualify(None)
    assert (unknown["qualification"]["expected_amount"], unknown["opportunity_total"]) == (None, "0.00")
    sent = [e["expected_amount"] for e in data_of(rt, "crm.customer.qualified", customer["id"])]
    assert sent == ["49999.99", "50000.00", "500000.10", None]


def test_a_bad_amount_is_a_400_naming_the_field_and_writes_nothing(org, client, rt):
    customer = org.customer("alice")
    url, alice = f"/v1/customers/{customer['id']}", org.headers["alice"]
    contract = {"start_date": "2025-01-01", "end_date": "2025-12-31"}
    bad = [0.001, "0.001", 0.30000000000000004, -1, "-0.01", "NaN", "Infinity", 1e13, "1000000000000.01", "1e3",
           "1,000", "", "abc", True, [1], {"amount": 1}]
    wrong = []
    for amount in bad:
        for suffix, body, field in (("/contracts", {**contract, "amount": amount}, "amount"),
                                    ("/payments", {"received_on": "2025-01-01", "amount": amount}, "amount"),
                                    ("/qualification", {"qualitative": "valuable", "expected_amount": amount},
                                     "expected_amount")):
            answer = getattr(client, "put" if suffix == "/qualification" else "post")(url + suffix, json=body,
                                                                                    headers=alice)
            named = [e["field"] for e in (answer.json or {}).get("errors") or []]
            if answer.status_code != 400 or answer.mimetype != PROBLEM or named != [field]:
                wrong.append((suffix, amount, answer.status_code, named))
    # A contract or a payment of nothing is no contract or payment; an expected amount of 0 is an estimate.
    for suffix, body in (("/contracts", {**contract, "amount": 0}), ("/payments", {"received_on": "2025-01-01",
                                                                                   "amount": "0.00"})):
        answer = client.post(url + suffix, json=body, headers=alice)
        if answer.status_code != 400 or answer.json["errors"][0]["field"] != "amount":
            wrong.append((suffix, 0, answer.status_code))
    # Python's JSON parser reads the bare literals NaN and Infinity as floats: refused all the same.
    for literal in ("NaN", "Infinity", "-Infinity"):
        answer = client.post(f"{url}/payments", data=f'{{"amount": {literal}, "received_on": "2025-01-01"}}',
                             content_type="application/json", headers=alice)
        if answer.status_code != 400 or answer.json["errors"][0]["field"] != "amount":
            wrong.append(("/payments", literal, answer.status_code))
    assert wrong == []
    assert rt.db.contracts.count_documents({}) == rt.db.payments.count_documents({}) == 0
    assert rt.db.customers.find_one({"_id": customer["id"]})["version"] == 1


def test_the_openapi_documents_amounts_as_decimal_strings_out_and_numbers_or_strings_in(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for name, field in (("CustomerOut", "order_total"), ("CustomerOut", "outstanding"), ("ContractOut", "unpaid"),
                        ("PaymentOut", "amount")):
        assert schemas[name]["properties"][field]["type"] == "string", (name, field)
    accepted = schemas["PaymentIn"]["properties"]["amount"]["anyOf"]
    assert sorted(a["type"] for a in accepted) == ["number", "string"]
