"""Configuration leaves a trace (issue 21, point 10): a pipeline replaced is kept in the customer
service's audit log, before and after, and announced as crm.config.changed."""
from crm_common.testing.events import data_of


def test_a_pipeline_replaced_is_kept_with_its_stages_before_and_after(org, client, rt):
    read = client.get("/v1/pipelines/default", headers=org.admin)
    pipeline = read.json
    changed = client.put("/v1/pipelines/default", json={"name": "Stricter", "stages": pipeline["stages"]},
                         headers={**org.admin, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    (row,) = client.get("/v1/audit?kind=pipeline", headers=org.admin).json["items"]
    assert row["before"]["name"] == pipeline["name"] and row["after"]["name"] == "Stricter"
    assert [s["key"] for s in row["after"]["stages"]] == [s["key"] for s in pipeline["stages"]]
    (announced,) = data_of(rt, "crm.config.changed")
    assert (announced["service"], announced["subject"], announced["actor"]) == ("customer", "default", row["actor"])
    assert client.get("/v1/audit", headers=org.headers["alice"]).status_code == 403


def test_a_new_pipeline_needs_no_if_match_and_replacing_it_needs_its_etag(org, client):
    stages = client.get("/v1/pipelines/default", headers=org.admin).json["stages"]
    made = client.put("/v1/pipelines/east", json={"name": "East", "stages": stages}, headers=org.admin)
    assert made.status_code == 200 and made.headers["ETag"] == '"1"'
    assert client.put("/v1/pipelines/east", json={"name": "East 2", "stages": stages}, headers=org.admin).status_code == 428
    read = client.get("/v1/pipelines/east", headers=org.admin)
    assert read.headers["ETag"] == '"1"'
    first = client.put("/v1/pipelines/east", json={"name": "East 2", "stages": stages},
                       headers={**org.admin, "If-Match": read.headers["ETag"]})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.put("/v1/pipelines/east", json={"name": "East 3", "stages": stages},
                       headers={**org.admin, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and client.get("/v1/pipelines/east", headers=org.admin).json["name"] == "East 2"
