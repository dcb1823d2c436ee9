"""Products: the price list as data an admin keeps (name, code, unit, list price, category, active).
Every change is configuration: audited (crm_common.audit) with who and what, in the change's transaction."""
from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from crm_common import audit, concurrency
from crm_common.kernel import money
from crm_common.kernel.refusals import Conflict, Invalid, NotFound
from crm_common.paging import new_id

from ..customers import customers


def _taken(code: str) -> Conflict:
    return Conflict(f"another product has the code {code!r}", reason="product_code_taken",
                    errors=[{"field": "code", "message": "already used by another product"}])


def create(rt, body: dict) -> dict:
    now = customers.now(rt)
    product = {"_id": new_id(), "category": None, "active": True, **body,
               "list_price": money.stored(body["list_price"]), "created_at": now, "updated_at": now, "version": 1}

    def write(session):
        if rt.db.products.find_one({"code": product["code"]}, {"_id": 1}, session=session):
            raise _taken(product["code"])
        try:
            rt.db.products.insert_one(product, session=session)
        except DuplicateKeyError:
            raise _taken(product["code"]) from None  # two admins at once: the unique index decides
        audit.record(rt, session, "product", product["_id"], None, product)
        return product
    return rt.transaction(write)


def get(rt, product_id: str, session=None) -> dict:
    product = rt.db.products.find_one({"_id": product_id}, session=session)
    if product is None:
        raise NotFound("no such product")
    return product


def change(rt, product_id: str, body: dict, expected) -> dict:
    def write(session):
        before = get(rt, product_id, session)
        concurrency.check(before, expected)
        after = {**before, **body}
        if "list_price" in body:
            after["list_price"] = money.stored(body["list_price"])
        if after == before:
            return before
        if after["code"] != before["code"] and rt.db.products.find_one({"code": after["code"]}, {"_id": 1},
                                                                       session=session):
            raise _taken(after["code"])
        after.update(version=before["version"] + 1, updated_at=customers.now(rt))
        try:
            rt.db.products.replace_one({"_id": product_id, "version": before["version"]}, after, session=session)
        except DuplicateKeyError:
            raise _taken(after["code"]) from None
        audit.record(rt, session, "product", product_id, before, after)
        return after
    return rt.transaction(write)


def for_line(rt, session, product_id: str, index: int) -> dict:
    """The product a quote line names: it must exist and be on sale."""
    product = rt.db.products.find_one({"_id": product_id}, session=session)
    if product is None or not product.get("active", True):
        raise Invalid("a quote line names a product that is not on sale",
                      errors=[{"field": f"lines.{index}.product_id",
                               "message": "unknown product" if product is None else "the product is inactive"}])
    return product
