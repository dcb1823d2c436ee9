"""Folded batches give the read models and every report exactly what one event a transaction gives."""
import pytest

from crm_common import batching, consumer, guard
from reporting import service
from reporting.model import handlers, store
from reporting.model.days import timezone_of

from .history import WEST, build, delivery
from .test_rebuild import everything

COLLECTIONS = ("customers", "others", "users", "departments", "pipelines", "pools", "tallies", "tally_keys")


def documents(models) -> dict:
    """Every stored document, the journaled tally sums added in (as a report reads them)."""
    store.compact(models)
    return {name: sorted(getattr(models, name).find(), key=lambda doc: doc["_id"]) for name in COLLECTIONS}


def apply_folded(rt, group, target, events, size, check=lambda session: None):
    """As the consumer applies a poll: `size` events a transaction, each guarded, their tallies folded."""
    table = handlers.for_models(lambda session: target, timezone_of(rt.settings))

    def batch(chunk, session):
        with batching.folding(rt.db, session, chunk):  # the batch's records read at once, as the consumer does
            for event in chunk:
                if guard.claim(rt.db, session, group, event, consumer.wall_now()):
                    table[event["type"]](event, session)
            check(session)
    for first in range(0, len(events), size):
        rt.transaction(lambda session: batch(events[first:first + size], session))


@pytest.mark.parametrize("size", [7, 1000])
def test_folded_batches_store_the_same_documents_and_answer_the_same_reports(rt, at_now, get, size):
    history = build(rt)
    created = next(e for e in history if e["type"] == "crm.user.created" and e["subject"] == "rep-a")
    moved = rt.event("crm.user.updated", "rep-a", {**created["data"], "department_id": "d-west",
                                                   "department_path": WEST})  # rep-a's leads and moves follow
    moved["version"] = 2
    events = delivery(history, in_version_order=True) + [moved]  # late, out of order, repeated copies
    live = service.live_handlers(rt)
    for event in events:
        consumer.deliver(rt, "reporting", live, event)
    one_by_one, unfolded_answers = documents(store.live(rt.db)), everything(get)

    folded = store.Models(rt.db, "v2_")
    folded.ensure_indexes()
    seen = []

    def before_the_batch_ends(session):
        # the first batch's records and tallies are still in memory, read back from there
        seen.append(folded.tallies.count_documents({}, session=session)
                    + folded.customers.count_documents({}, session=session))
    apply_folded(rt, "reporting-folded", folded, events, size, before_the_batch_ends)
    assert seen[0] == 0
    assert documents(folded) == one_by_one
    assert len(one_by_one["tallies"]) > 50 and len(one_by_one["customers"]) == 6

    rt.db[store.POINTER].replace_one({"_id": "live"}, {"_id": "live", "prefix": folded.prefix}, upsert=True)
    assert everything(get) == unfolded_answers


def test_reports_answer_the_same_from_compacted_tallies_journaled_sums_and_both_at_once(rt, at_now, get):
    events = delivery(build(rt), in_version_order=True)
    live, models, half = service.live_handlers(rt), store.live(rt.db), len(events) // 2
    for event in events[:half]:
        consumer.deliver(rt, "reporting", live, event)
    store.compact(models)  # the first half in tallies, the rest still in the journal
    for event in events[half:]:
        consumer.deliver(rt, "reporting", live, event)
    assert models.tally_journal.count_documents({}) > 0
    partly = everything(get)
    store.compact(models)
    assert models.tally_journal.count_documents({}) == 0
    assert everything(get) == partly
