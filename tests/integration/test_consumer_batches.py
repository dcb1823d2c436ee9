"""A poll's events are applied per partition in few transactions, their counters folded; a handler that
fails in a batch costs only itself: the events before and after it are applied, each once."""
import pytest
from kafka import TopicPartition

from crm_common import batching

USER = "crm.user.created"


@pytest.fixture
def calls():
    return []


@pytest.fixture
def welcome(rt, calls):
    """Counts a welcome per user (a folded counter) and remembers which transaction it ran in and whether
    the counter it just added to was already written (it is not, while a batch folds it)."""
    def handle(event, session):
        calls.append((event["subject"], session))  # the session itself, kept: ids of freed ones recur
        if event["data"]["username"] == "poison":
            raise RuntimeError("this user cannot be welcomed")
        batching.inc(rt.db, session, "welcome_tallies", event["subject"], {"times": 1})
        batching.inc(rt.db, session, "welcome_tallies", "all", {"times": 1})
        calls[-1] += ((rt.db.welcome_tallies.find_one({"_id": "all"}, session=session) or {}).get("times", 0),)
    return handle


def sent_all(loop, last) -> bool:
    partition = TopicPartition(last.topic, last.partition)
    return bool(loop.consumer.assignment()) and loop.consumer.committed(partition) == last.offset + 1


def times(rt, user_id):
    return (rt.db.welcome_tallies.find_one({"_id": user_id}) or {}).get("times")


def test_a_polls_events_share_a_transaction_and_their_counters_are_written_once_it_ends(
        rt, loop_for, drive, put, user_created, group, welcome, calls):
    users = [f"u{n}" for n in range(8)]
    for user in users:
        last = put(user_created(user, "ann"), 1, key="same-partition")
    loop = loop_for(group, {USER: welcome}, batch_size=3)
    drive(loop, lambda: sent_all(loop, last))
    assert [subject for subject, *_ in calls] == users  # in partition order
    transactions = list({id(session): session for _, session, _ in calls}.values())
    assert 3 <= len(transactions) < len(users)  # batches of at most 3
    sizes = [sum(1 for _, s, _ in calls if s is session) for session in transactions]
    assert max(sizes) <= 3
    # Inside a batch the counter reads as the batches before it left it: written when the batch ends.
    before = 0
    for session, size in zip(transactions, sizes):
        assert {seen for _, s, seen in calls if s is session} == {before}
        before += size
    assert [times(rt, user) for user in users] == [1] * 8 and times(rt, "all") == 8


def test_a_failing_event_in_a_batch_is_found_and_the_others_are_applied_once(
        rt, loop_for, drive, put, user_created, group, welcome, calls):
    put(user_created("u1", "ann"), 1, key="same-partition")
    put(user_created("u2", "bob"), 1, key="same-partition")
    put(user_created("u3", "poison"), 1, key="same-partition")
    last = put(user_created("u4", "cy"), 1, key="same-partition")
    loop = loop_for(group, {USER: welcome}, max_attempts=2)
    drive(loop, lambda: sent_all(loop, last))
    assert [times(rt, user) for user in ("u1", "u2", "u3", "u4")] == [1, 1, None, 1]
    assert times(rt, "all") == 3
    applied = [call[0] for call in calls if len(call) == 3]
    assert applied.index("u1") < applied.index("u2") < applied.index("u4")
    assert rt.metrics.registry.get_sample_value(
        "events_dead_lettered_total", {"type": USER, "reason": "handler_failed"}) == 1
