"""The admin's webhook subscriptions: register, list, read, change (If-Match), remove."""
from crm_common import concurrency
from crm_common.auth import require_user
from crm_common.paging import page, page_schema
from crm_common.web import runtime

from ..api import admin as blp
from ..channels import reach
from . import store
from .schemas import SubscriptionCreated, SubscriptionIn, SubscriptionOut, SubscriptionPatch, SubscriptionQuery


@blp.route("/subscriptions", methods=["POST"])
@require_user("admin")
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionCreated)
def create_subscription(body):
    """Its secret is answered this once; without one given, a `whsec_` secret is made."""
    reach.check_url(runtime(), body["url"])
    made = store.create(runtime(), body)
    return made, 201, concurrency.etag_headers(made)


@blp.route("/subscriptions", methods=["GET"])
@require_user("admin")
@blp.arguments(SubscriptionQuery, location="query")
@blp.response(200, page_schema(SubscriptionOut, "SubscriptionPage"))
def list_subscriptions(args):
    query = {"deleted_at": None, **({"active": args["active"]} if args["active"] is not None else {})}
    return page(runtime().db.subscriptions, query, limit=args["limit"], cursor=args["cursor"])


@blp.route("/subscriptions/<subscription_id>", methods=["GET"])
@require_user("admin")
@blp.response(200, SubscriptionOut)
def get_subscription(subscription_id):
    found = store.get(runtime(), subscription_id)
    return found, 200, concurrency.etag_headers(found)


@blp.route("/subscriptions/<subscription_id>", methods=["PATCH"])
@require_user("admin")
@concurrency.documented()
@blp.arguments(SubscriptionPatch)
@blp.response(200, SubscriptionOut)
def patch_subscription(changes, subscription_id):
    rt = runtime()
    if "url" in changes:
        reach.check_url(rt, changes["url"])
    changed = store.change(rt, subscription_id, changes, concurrency.expected_versions())
    return changed, 200, concurrency.etag_headers(changed)


@blp.route("/subscriptions/<subscription_id>", methods=["DELETE"])
@require_user("admin")
@blp.response(204)
def delete_subscription(subscription_id):
    store.delete(runtime(), subscription_id)
