"""Configuration leaves a trace (issue 21, point 10): a pipeline replaced is kept in the customer
service's audit log, before and after, and announced as crm.config.changed."""
from crm_common.testing.events import data_of


def test_a_pipeline_replaced_is_kept_with_its_stages_before_and_after(org, client, rt):
    pipeline = client.get("/v1/pipelines/default", headers=org.admin).json
    changed = client.put("/v1/pipelines/default", json={"name": "Stricter", "stages": pipeline["stages"]},
                         headers=org.admin)
    assert changed.status_code == 200, changed.json
    (row,) = client.get("/v1/audit?kind=pipeline", headers=org.admin).json["items"]
    assert row["before"]["name"] == pipeline["name"] and row["after"]["name"] == "Stricter"
    assert [s["key"] for s in row["after"]["stages"]] == [s["key"] for s in pipeline["stages"]]
    (announced,) = data_of(rt, "crm.config.changed")
    assert (announced["service"], announced["subject"], announced["actor"]) == ("customer", "default", row["actor"])
    assert client.get("/v1/audit", headers=org.headers["alice"]).status_code == 403
