"""What the subscriptions API reads and answers (the secret is answered once, by the POST that made it)."""
import marshmallow as ma

from crm_common.events import contract_types
from crm_common.paging import PageArgs

from ..channels.robots import shown_url
from . import rules


def _known_types(patterns: list[str]) -> None:
    unknown = rules.unknown_patterns(patterns, sorted({t for t, _ in contract_types()}))
    if unknown:
        raise ma.ValidationError(f"no event type matches {', '.join(unknown)} (see GET /v1/catalogue)")


def _whsec(secret: str) -> None:
    problem = rules.secret_problem(secret)
    if problem:
        raise ma.ValidationError(problem)


def _url(**kw):
    return ma.fields.Url(require_tld=False, schemes={"http", "https"}, **kw)


def _types(**kw):
    return ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
                          validate=[ma.validate.Length(min=1, max=50), _known_types],
                          metadata={"description": "event types, exact (`crm.customer.created`) or `prefix.*` "
                                                   "(`crm.customer.*`)"}, **kw)


class SubscriptionIn(ma.Schema):
    url = _url(required=True)
    types = _types(required=True)
    secret = ma.fields.String(load_default=None, load_only=True, validate=_whsec,
                              metadata={"description": "`whsec_` + base64; generated and answered once if absent"})


class SubscriptionPatch(ma.Schema):
    url = _url()
    types = _types()
    active = ma.fields.Boolean()


class SubscriptionOut(ma.Schema):
    id = ma.fields.String(attribute="_id")
    url = ma.fields.Function(shown_url)  # credential query parameters masked, as a robot's
    types = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class SubscriptionCreated(SubscriptionOut):
    secret = ma.fields.String(metadata={"description": "shown this once: keep it to verify deliveries"})


class SubscriptionQuery(PageArgs):
    active = ma.fields.Boolean(load_default=None)
