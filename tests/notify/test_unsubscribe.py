"""Opt-out that always works (issue 25, point 2): a marketing email carries a signed one-click
unsubscribe link (RFC 8058 headers and a link in the body); the link's page asks before it acts; its POST
unsubscribes once and is published; a message queued before the opt-out is not sent."""
from crm_common.events import validate
from crm_common.testing.events import expect_events
from crm_common.testing.snapshots import contact
from notify.contacts import outbox, store, unsubscribe
from notify.deliveries import outbound as deliveries

from .conftest import allow_local_receivers


def test_the_link_then_a_message_queued_before_the_opt_out_is_not_sent(rt, client, feed, smtp, token_for):
    admin = allow_local_receivers(client, token_for("u-admin", "admin"))
    assert client.put("/v1/settings/smtp", headers=admin, json={
        "host": "127.0.0.1", "port": smtp.port, "from": "news@example.cn", "starttls": False}).status_code == 200
    feed.customer("C1", contacts=[contact("Wang Fang", emails=["wang@acme.cn"], contact_id="K1")])
    rt.transaction(lambda s: store.set_consent(rt, s, "K1", "email", store.consent_entry(True, "webinar", feed.now())))

    def queue(key, marketing=True):
        return rt.transaction(lambda s: outbox.queue(
            rt, s, contact_id="K1", channel="email", kind="nurture", subject="Spring offers",
            body="<p>Dear Wang Fang, our spring offers &amp; news</p>", marketing=marketing, key=key))
    assert queue("news-1") == "queued"
    assert deliveries.run(rt)["sent"] == 1
    [mail] = smtp.messages
    message = mail["message"]
    url = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe"] == f"<{url}>" and "/u/" in url
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, page = (message.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html"))
    assert "spring offers & news" in plain and url in plain and f'href="{url}"' in page
    assert mail["to"] == ["wang@acme.cn"] and message["Subject"] == "Spring offers"
    path = url[url.index("/u/"):]

    assert queue("news-2") == "queued"  # queued before the opt-out
    assert queue("contract-sent", marketing=False) == "queued"  # transactional
    shown = client.get(path)  # a mail scanner following the link changes nothing
    assert shown.status_code == 200 and shown.mimetype == "text/html" and '<form method="post">' in shown.text
    assert not store.get(rt, "K1")["suppressed"]
    with expect_events(rt, [("crm.contact.unsubscribed", {"contact_id": "K1", "customer_id": "C1",
                                                          "channel": "email", "source": "unsubscribe_link"})]) as got:
        done = client.post(path, data="List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert done.status_code == 200 and "已退订" in done.text
        assert client.post(path).status_code == 200  # again: still out, published once
    validate(got[0])
    assert store.get(rt, "K1")["suppressed"]["email"]["source"] == "unsubscribe_link"

    assert deliveries.run(rt)["sent"] == 1  # the contract mail only
    assert [m["message"]["Subject"] for m in smtp.messages] == ["Spring offers", "Spring offers"]
    assert "List-Unsubscribe" not in smtp.messages[1]["message"]  # the transactional one has no link
    refused = rt.db.deliveries.find_one({"key": "news-2"})
    assert (refused["status"], refused["last_error"]) == ("refused", "suppressed")
    assert queue("news-3") == "suppressed"


def test_a_changed_or_made_up_token_is_not_found_and_unsubscribes_nobody(rt, client, feed):
    feed.customer("C1", contacts=[contact("Wang Fang", emails=["wang@acme.cn"], contact_id="K1")])
    token = unsubscribe.token(rt, "K1", "email")
    for bad in (token[:-4] + "AAAA", "not-a-token", "%E4%B8%AD"):
        assert client.get(f"/u/{bad}").status_code == 404
        answer = client.post(f"/u/{bad}")
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert not store.get(rt, "K1")["suppressed"]
