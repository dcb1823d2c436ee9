"""Issue 12: custom field keys become MongoDB field names, so only ^[A-Za-z0-9_-]{1,64}$ is taken."""
import pytest


@pytest.mark.parametrize("key", ["$where", "a.b", "", "x" * 65, "名字", "a b"])
def test_a_custom_key_outside_the_safe_alphabet_is_refused(client, channel, key):
    response = client.post("/v1/leads", headers=channel, json={"name": "A", "email": "a@b.cn", "custom": {key: "v"}})
    assert response.status_code == 400 and response.json["errors"][0]["field"].startswith("custom")


def test_a_safe_custom_key_is_kept(client, channel, rt):
    response = client.post("/v1/leads", headers=channel, json={"name": "A", "email": "a@b.cn",
                                                               "custom": {"Form_Field-1": "v", "k" * 64: "w"}})
    assert response.status_code == 201 and rt.db.leads.find_one()["custom"]["Form_Field-1"] == "v"


def test_a_lead_shows_everything_it_was_submitted_with(client, channel, admin):
    # DOMAIN §1: a lead records its campaign and utm_* fields; note, birthday, consent and custom fields
    # are the rep's to read
    sent = {"name": "A", "email": "a@b.cn", "campaign": "spring", "utm_source": "baidu", "utm_medium": "cpc",
            "utm_campaign": "s1", "utm_term": "crm", "utm_content": "ad-2", "note": "call after 6pm",
            "birthday": "1985-03-02", "marketing_consent": True, "custom": {"Form_Field-1": "v"}}
    lead_id = client.post("/v1/leads", headers=channel, json=sent).json["id"]
    shown = client.get(f"/v1/leads/{lead_id}", headers=admin).json
    assert {k: shown[k] for k in sent if k not in ("email",)} == {k: v for k, v in sent.items() if k != "email"}
    assert shown["emails"] == ["a@b.cn"]
