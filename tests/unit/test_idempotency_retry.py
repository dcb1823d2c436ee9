"""What a retried request does with its key's reservation as found (crm_common.idempotency.on_retry)."""
from datetime import datetime, timedelta, timezone

import pytest

from crm_common.idempotency import LOST, on_retry

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
FRESH, OLD = NOW - timedelta(seconds=5), NOW - timedelta(seconds=61)


@pytest.mark.parametrize("first,verdict", [
    ({"fingerprint": "other", "state": "done"}, "other_request"),
    ({"state": "done", "payload": {}, "status": 201}, "answered"),
    ({"state": "running", "created_at": FRESH, "kept": {"payload": {}, "status": 201}}, "kept"),
    # still at work, maybe: told to try again, even if some of its work committed
    ({"state": "running", "created_at": FRESH, "committed": True, "results": [{"value": 1}]}, "running"),
    # the reply was lost past the commit: answered from what its transactions returned, at once
    ({"state": LOST, "created_at": FRESH, "committed": True, "results": [{"value": {"_id": "c1"}}]}, "replay"),
    ({"state": LOST, "created_at": FRESH, "committed": True, "results": [{"sealed": b"x"}]}, "replay"),
    # the process died: after the lease, the same
    ({"state": "running", "created_at": OLD, "committed": True, "results": [{"value": None}]}, "replay"),
    # a result the database could not hold cannot be answered again, and is not run twice
    ({"state": LOST, "created_at": FRESH, "committed": True, "results": [{"value": 1}, {"opaque": "X"}]},
     "answer_lost"),
    ({"state": LOST, "created_at": FRESH, "committed": True}, "answer_lost"),  # a reservation of an older release
    ({"state": "running", "created_at": OLD}, "run"),  # died before any commit
])
def test_a_retry_is_answered_replayed_refused_or_run(first, verdict):
    assert on_retry({"fingerprint": "same", **first} if "fingerprint" not in first else first, "same", NOW) == verdict


def test_a_writes_own_result_is_kept_and_rebuilt_for_a_replay():
    """A route that returns what update_one returned still answers a lost reply from it."""
    from pymongo.results import UpdateResult

    from crm_common import idempotency
    kept = idempotency._storable(None, UpdateResult({"n": 1, "nModified": 1}, True))
    rebuilt = idempotency._opened(kept)
    assert isinstance(rebuilt, UpdateResult) and (rebuilt.matched_count, rebuilt.modified_count) == (1, 1)
