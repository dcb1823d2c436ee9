"""Issue 21, point 9: a report's period at the calendar's ends is a 400 naming the field, never a
500 (a week counted back from `to=0001-01-01` ran off the calendar)."""
from reporting.reports.routes import REPORTS


def test_a_period_off_the_calendar_is_a_400_naming_the_field_on_every_report(client, token_for):
    admin = token_for("u-admin", "admin")
    for name in REPORTS:
        for query, field in (("to=0001-01-01", "to"), ("from=0001-01-01", "from"), ("from=9999-12-31", "from"),
                             ("to=9999-12-31", "to")):
            refused = client.get(f"/v1/reports/{name}?{query}", headers=admin)
            assert refused.status_code == 400, (name, query, refused.status_code)
            assert [e["field"] for e in refused.json["errors"]] == [field], (name, query)
        assert client.get(f"/v1/reports/{name}?from=2026-01-01&to=2026-06-30", headers=admin).status_code == 200
