"""Tallies stored by the release that kept each tally's key inside it still answer after the upgrade."""
from crm_common import consumer
from reporting import service
from reporting.model import store

from .history import build
from .test_rebuild import everything


def test_tallies_stored_with_their_keys_inside_are_split_at_start_up_and_reports_answer_the_same(rt, at_now, get):
    handlers = service.live_handlers(rt)
    for event in build(rt):
        consumer.deliver(rt, "reporting", handlers, event)
    answers = everything(get)
    models = store.live(rt.db)
    store.compact(models)  # that release kept no journal: every sum was in its tally
    keys = {doc["_id"]: doc for doc in models.tally_keys.find()}
    for ident, key in keys.items():  # the earlier shape: one document, key and sums together, by the hash alone
        sums = models.tallies.find_one_and_delete({"_id": ident})
        models.tallies.insert_one({**sums, **key, "_id": ident.rsplit("|", 1)[1]})
    models.tally_keys.drop()
    assert everything(get) != answers  # read as they are, the old documents count nothing

    service.on_start(rt)
    service.on_start(rt)  # a second start (or the app's and the worker's) changes nothing
    assert {doc["_id"]: doc for doc in models.tally_keys.find()} == keys
    assert all(set(doc) <= {"_id", *store.SUMS} and doc["_id"] in keys for doc in models.tallies.find())
    assert everything(get) == answers
