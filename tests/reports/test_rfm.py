"""RFM as a new user meets it: a customer who paid today is never lost, and an admin sets the thresholds."""

from .history import EAST, History


def test_a_single_customer_who_paid_today_is_new_not_lost(rt, feed, at_now, get):
    h = History(rt)
    h.user("rep-a")
    h.customer("T1", "created", "06-01", owner_id="rep-a", department_path=EAST)
    h.customer("T1", "payment_received", "06-30", payment_id="PT", contract_id=None, amount="800.00",
               received_on="2026-06-30", paid_total="800.00", outstanding="-800.00")
    feed(h.events)
    segments = {s["segment"]: s["count"] for s in get("/v1/reports/rfm")["segments"] if s["count"]}
    assert segments == {"new": 1}
    [t] = get("/v1/reports/rfm", segment="new")["items"]
    assert (t["customer_id"], t["recency_days"], t["r"]) == ("T1", 0, 5)


def test_an_admin_sets_the_thresholds_with_if_match_and_the_report_follows(history, client, token_for, get):
    admin = token_for("u-admin", "admin")
    read = client.get("/v1/settings/rfm", headers=admin)
    assert read.status_code == 200 and read.headers["ETag"] == '"0"'
    assert read.json["recency_days"] == [30, 60, 90, 180]
    strict = {"recency_days": [1, 2, 3, 4]}
    assert client.put("/v1/settings/rfm", json=strict, headers=admin).status_code == 428  # the defaults count
    bad = client.put("/v1/settings/rfm", json={"recency_days": [10, 5, 3, 1]}, headers={**admin, "If-Match": '"0"'})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "recency_days"
    rep = client.put("/v1/settings/rfm", json=strict, headers={**token_for("rep-a", "rep", EAST), "If-Match": '"0"'})
    assert rep.status_code == 403
    saved = client.put("/v1/settings/rfm", json=strict, headers={**admin, "If-Match": '"0"'})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"1"' and saved.json["recency_days"] == [1, 2, 3, 4]
    # C3 paid 5 days ago: past every threshold now, so its recency scores 1
    [c3] = get("/v1/reports/rfm", segment="hibernating")["items"]
    assert (c3["customer_id"], c3["r"], c3["f"]) == ("C3", 1, 2)
    stale = client.put("/v1/settings/rfm", json=strict, headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 412
    [row] = client.get("/v1/audit", headers=admin, query_string={"kind": "rfm"}).json["items"]
    assert row["before"]["recency_days"] == [30, 60, 90, 180] and row["after"]["recency_days"] == [1, 2, 3, 4]
