"""Each service's OpenAPI says what its answers are (issue 12, point 5): a checker can compare them."""
import requests

from crm_common.testing.system import SERVICES, eventually

from .openapi import operations, resolve


def test_every_operation_documents_its_success_and_its_errors_as_problem_json(world):
    wrong = []
    for service in SERVICES:
        for op in operations(service, world.system.urls[service]):
            responses = {code: resolve(op.document, r) for code, r in op.spec["responses"].items()}
            # a tracked link's success is its redirect
            if not any(code.startswith(("2", "3")) for code in responses):
                wrong.append(f"{op.name}: no 2xx (or redirect) documented")
            if any(code.startswith("2") and code != "204" and not r.get("content") for code, r in responses.items()):
                wrong.append(f"{op.name}: a 2xx without its content")
            for code, response in responses.items():
                if code.startswith(("4", "5")) or code == "default":
                    content = response.get("content", {})
                    schema = resolve(op.document, content.get("application/problem+json", {}).get("schema", {}))
                    if list(content) != ["application/problem+json"] or not {
                            "type", "title", "status", "request_id"} <= set(schema.get("required", [])):
                        wrong.append(f"{op.name}: {code} is not documented as problem+json")
    assert not wrong, "\n".join(wrong)


def test_a_duplicate_names_the_customer_it_joined_as_such_never_as_the_lead(world):
    phone = "13600136001"
    customer = world.call("POST", "customer", "/v1/customers", "ann", json={
        "name": "Known Buyer Co", "contacts": [{"name": "Sun", "phones": [phone]}]}).json()
    # lead intake hears of the customer a moment later; its 查重 says when
    known = eventually(lambda: world.call("POST", "lead-intake", "/v1/leads:check", json={"phone": phone}).json().get(
        "duplicate_of") == customer["id"], timeout=10, interval=0.5)
    assert known, "lead intake never heard of the customer"
    answer = world.call("POST", "lead-intake", "/v1/leads:import", params={"channel_id": world.ids["channel_id"]},
                        data=f"name,phone\nSun,{phone}\n".encode(), headers={"Content-Type": "text/csv"})
    row = answer.json()["results"][0]
    assert row["status"] == 200, row
    assert "id" not in row  # `id` is the lead a row created
    assert (row["dedup"]["duplicate_of"], row["dedup"]["duplicate_of_kind"]) == (customer["id"], "customer")
    documented = requests.get(world.system.url("lead-intake", "/openapi.json"), timeout=10).json()
    assert "absent on a duplicate" in documented["components"]["schemas"]["RowResult"]["properties"]["id"]["description"]
