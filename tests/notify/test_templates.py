"""Templates (issue 25, point 3): per kind and language, `{{ contact.name }}` placeholders from the
recipient, customer, opportunity and sender, rendered with no code and HTML escaped; an unknown variable
is refused when the template is saved; a preview renders one for a given recipient."""
from crm_common.testing.snapshots import contact
from notify.preferences import store as prefs
from notify.templates import render

BODY = "<p>{{ contact.name }}，您好：{{ customer.name }}的{{ opportunity.name }}报价已更新。{{ sender.name }}</p>"


def test_a_template_previews_for_a_recipient_with_every_value_html_escaped(rt, client, feed, token_for):
    feed.user("rep-1")
    prefs.put(rt, "rep-1", {"email": "rep1@example.cn"})
    feed.customer("C1", name="Acme & <Sons>", contacts=[contact("Wang <b>Fang</b>", emails=["w@acme.cn"],
                                                                contact_id="K1")])
    feed.send("crm.opportunity.created", "O1", {
        "opportunity_id": "O1", "customer_id": "C1", "name": "ERP 2027", "owner_id": "rep-1", "department_path": [],
        "pipeline_id": "P1", "stage": "proposal", "status": "open", "amount": "120000.00",
        "created_at": "2026-12-07T05:07:00Z", "by": "rep-1"})
    manager = token_for("m-1", "manager")
    made = client.post("/v1/templates", headers=manager, json={
        "kind": "quote_update", "language": "zh", "subject": "{{ customer.name }}：报价更新", "body": BODY})
    assert made.status_code == 201, made.json
    assert (made.json["kind"], made.json["language"], made.json["format"]) == ("quote_update", "zh", "html")
    shown = client.post(f"/v1/templates/{made.json['id']}:preview", headers=token_for("rep-1"),
                        json={"contact_id": "K1", "opportunity_id": "O1"})
    assert shown.status_code == 200, shown.json
    assert shown.json["subject"] == "Acme & <Sons>：报价更新"  # a header, not HTML
    assert shown.json["body"] == ("<p>Wang &lt;b&gt;Fang&lt;/b&gt;，您好：Acme &amp; &lt;Sons&gt;的ERP 2027报价已更新。"
                                  "rep-1</p>")
    assert client.post(f"/v1/templates/{made.json['id']}:preview", headers=token_for("rep-2"),
                       json={"contact_id": "K1"}).status_code == 404  # not a recipient rep-2 may see
    assert client.post("/v1/templates/nope:preview", headers=manager, json={"contact_id": "K1"}).status_code == 404


def test_an_unknown_variable_or_code_is_refused_at_save_time_naming_the_field(client, token_for):
    manager = token_for("m-1", "manager")
    for field, text in (("body", "Hi {{ contact.password }}"), ("subject", "{{ config.items() }}"),
                        ("body", "{% for x in y %}{{ x }}{% endfor %}"), ("body", "Hi {{ contact.name")):
        body = {"kind": "k", "language": "en", "subject": "S", "body": "B", field: text}
        refused = client.post("/v1/templates", headers=manager, json=body)
        assert refused.status_code == 422, (text, refused.json)
        assert [e["field"] for e in refused.json["errors"]] == [field]
    assert client.post("/v1/templates", headers=manager, json={"kind": "k", "language": "fr", "body": "B"}
                       ).status_code == 400
    assert client.post("/v1/templates", headers=token_for("rep-1"), json={
        "kind": "k", "language": "en", "body": "B"}).status_code == 403


def test_an_sms_template_is_plain_text_and_a_missing_value_is_blank():
    sms = {"body": "{{ contact.name }} & {{ sender.name }}: 回复TD退订"}
    assert render.render(sms, {"contact.name": "Li <Ming>"}) == (None, "Li <Ming> & : 回复TD退订")
