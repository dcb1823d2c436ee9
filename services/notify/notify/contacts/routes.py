"""A contact's consent per channel (who may see the customer may read and record it), and the
unsubscribe page a link in a marketing email opens, with no login."""
from __future__ import annotations

import html

from flask import g, request

from crm_common.auth import require_user
from crm_common.web import answers, runtime

from ..api import admin as blp, public
from . import store, unsubscribe
from .schemas import ConsentIn, ConsentOut


def _view(contact: dict) -> dict:
    bounced = contact.get("bounced") or {}
    return {**contact, "email_reachable": bool(contact.get("email")) and not bounced.get("email"),
            "sms_reachable": bool(contact.get("mobile")) and not bounced.get("sms")}


@blp.route("/contacts/<contact_id>/consent", methods=["GET"])
@require_user()
@blp.response(200, ConsentOut)
def consent(contact_id: str):
    """The contact's consent per channel (granted, source, time) and opt-outs."""
    return _view(store.visible(runtime(), g.principal, contact_id))


@blp.route("/contacts/<contact_id>/consent", methods=["PUT"])
@require_user()
@blp.arguments(ConsentIn)
@blp.response(200, ConsentOut)
def put_consent(body: dict, contact_id: str):
    """Record consent on one channel, as the contact gave or withdrew it (`source`: where, e.g. "phone")."""
    rt = runtime()
    store.visible(rt, g.principal, contact_id)
    entry = store.consent_entry(body["granted"], body["source"], rt.clock.now())
    rt.transaction(lambda session: store.set_consent(rt, session, contact_id, body["channel"], entry))
    return _view(store.get(rt, contact_id))


PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p>{form}</body></html>"""
WORDS = {"zh": ("退订", "确认后，我们将不再向你发送营销邮件。", "确认退订", "已退订", "你将不再收到我们的营销邮件。"),
         "en": ("Unsubscribe", "Confirm and we will send you no more marketing email.", "Unsubscribe",
                "You are unsubscribed", "You will get no more marketing email from us.")}


def _page(named: dict, done: bool) -> tuple[str, int, dict]:
    contact = store.get(runtime(), named["contact_id"]) or {}
    lang = "en" if contact.get("language") == "en" else "zh"
    title, text, button, done_title, done_text = WORDS[lang]
    form = "" if done else (f'<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
                            f'<button type="submit">{html.escape(button)}</button></form>')
    body = PAGE.format(lang=lang, title=html.escape(done_title if done else title),
                       text=html.escape(done_text if done else text), form=form)
    return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@public.route("/u/<token>", methods=["GET"])
@public.doc(**answers(200, None, "text/html", description="A page asking to confirm (a GET changes nothing)"))
def unsubscribe_page(token: str):
    """The confirmation page of an unsubscribe link: mail scanners follow links, so only its POST acts."""
    return _page(unsubscribe.opened(runtime(), token), done=False)


@public.route("/u/<token>", methods=["POST"])
@public.doc(**answers(200, None, "text/html", description="Unsubscribed (again, if it was already)"))
def unsubscribe_now(token: str):
    """Unsubscribe (RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click`); idempotent."""
    request.get_data(cache=True)  # the one-click form body says nothing more than the link does
    return _page(unsubscribe.unsubscribe(runtime(), token), done=True)
