"""Each web process keeps the company keys in memory for the fuzzy same-city check;
what other processes store or remove reaches it within a refresh."""
import pytest

from lead_intake import companies, directory
from lead_intake.app import create_app

SHANGHAI = "上海"


@pytest.fixture(autouse=True)
def quick_refresh(monkeypatch):
    monkeypatch.setattr(companies, "REFRESH_SECONDS", 0.0)


def loaded(rt):
    """Start this process's copy and wait for its first load (a request starts it the same way)."""
    keys = companies.keys_of(rt)
    assert keys.same_city(SHANGHAI, 0, 99) is None or keys.loaded.is_set()
    assert keys.loaded.wait(10)
    return keys


def candidates(client, channel, n, company):
    response = client.post("/v1/leads", headers=channel, json={"name": f"n{n}", "email": f"{n}@x.cn",
                                                               "company": company, "city": SHANGHAI})
    assert response.status_code == 201, response.json
    return {c["id"]: c["reason"] for c in response.json["dedup"].get("candidates", [])}


def test_a_company_stored_by_another_process_is_a_possible_duplicate(app, client, channel, app_for):
    other = app_for(create_app, "lead-intake")  # another gunicorn worker of the service
    loaded(app.extensions["crm"])
    first = other.test_client().post("/v1/leads", headers=channel, json={
        "name": "Zhao", "email": "zhao@x.cn", "company": "Cloudmap Information Technology", "city": SHANGHAI}).json
    assert candidates(client, channel, 1, "Cloudmap Informaton Technology") == {
        first["id"]: "similar_company_name_same_city"}


def test_a_deleted_customer_or_merged_lead_stops_being_a_candidate(rt, client, channel):
    loaded(rt)
    rt.transaction(lambda s: directory.customer_changed(rt, s, {
        "customer_id": "C1", "owner_id": "rep-1", "name": "Brightstar Robotics", "city": SHANGHAI,
        "contacts": [{"name": "Wu", "phones": ["+8613700137000"]}]}))
    assert candidates(client, channel, 1, "Brightstar Robotic") == {"C1": "similar_company_name_same_city"}
    rt.transaction(lambda s: directory.customer_deleted(rt, s, {"customer_id": "C1"}))
    assert "C1" not in candidates(client, channel, 2, "Brightstar Robotix")


def test_the_process_is_not_ready_until_its_copy_is_loaded_and_the_database_answers_meanwhile(rt, client, channel):
    rt.transaction(lambda s: companies.store(rt.db, s, "customer", "C2", "greenleafdigital", SHANGHAI))
    keys = companies.CompanyKeys(rt.db)  # a copy not loaded yet, as in a process just started
    rt.company_keys, rt.readiness["company_keys"] = keys, keys.loaded.is_set
    assert client.get("/readyz").json["checks"]["company_keys"] == "not yet"
    assert candidates(client, channel, 1, "Greenleaf Digitals") == {"C2": "similar_company_name_same_city"}
    assert keys.loaded.wait(10)
    assert client.get("/readyz").status_code == 200
