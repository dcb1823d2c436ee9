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
