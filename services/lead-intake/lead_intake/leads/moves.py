"""A lead's move written: the state machine decides (states.transition), this applies its changes and
publishes its event in one transaction."""
from __future__ import annotations

from crm_common import idempotency
from crm_common.kernel.refusals import Refusal

from . import events, states


def move(rt, lead: dict, action: str, actor, **given) -> None:
    """Make `action` on `lead` (as the caller read it) or raise the refusal.

    A move the lead as read refuses is refused at once. The transaction judges the lead again as it
    is now: a concurrent move in between makes the write conflict and the transaction retry, and
    a refusal only then is answered as a lost race where the state machine names one. "moved" is kept
    with the work, so a retry whose reply was lost past the commit answers 200 with the lead as it is
    (the route checks idempotency.kept_answer(): judged again, the lead as read would refuse the move)."""
    refused = states.transition(lead, action, actor, now=rt.clock.now(), **given)
    if isinstance(refused, Refusal):
        raise refused

    def write(session):
        current = rt.db.leads.find_one({"_id": lead["_id"]}, session=session)
        outcome = states.transition(current, action, actor, now=rt.clock.now(), **given)
        if isinstance(outcome, Refusal):
            raise states.lost_race(action) or outcome
        # update_one, not find_one_and_update: SecantusDB answers findAndModify with a collection scan.
        rt.db.leads.update_one({"_id": lead["_id"], "status": current["status"]}, {"$set": outcome},
                               session=session)
        rt.publish(session, events.of_move(rt, action, current, outcome, actor))
        idempotency.keep(rt.db, session, {"moved": lead["_id"]}, 200)
    rt.transaction(write)
