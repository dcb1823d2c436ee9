"""crm_common.mongo.find_one_and_update: indexed, conditional, one winner when callers race."""
from concurrent.futures import ThreadPoolExecutor

from crm_common import mongo


def test_twenty_callers_racing_for_one_document_give_one_winner(rt):
    rt.db.seats.insert_many([{"_id": f"s{n}", "holder": None} for n in range(3)])

    def take(who):
        return mongo.find_one_and_update(rt.db.seats, {"_id": "s1", "holder": None}, {"$set": {"holder": who}})
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(take, range(20)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and winners[0]["holder"] == rt.db.seats.find_one({"_id": "s1"})["holder"]
    assert rt.db.seats.count_documents({"holder": None}) == 2


def test_it_takes_the_first_match_in_the_given_order_and_returns_none_when_nothing_matches(rt):
    rt.db.jobs.insert_many([{"_id": n, "state": "ready", "at": 10 - n} for n in range(5)])
    first = mongo.find_one_and_update(rt.db.jobs, {"state": "ready"}, {"$set": {"state": "taken"}}, sort=[("at", 1)])
    assert first == {"_id": 4, "state": "taken", "at": 6}
    assert mongo.find_one_and_update(rt.db.jobs, {"state": "gone"}, {"$set": {"state": "x"}}) is None
