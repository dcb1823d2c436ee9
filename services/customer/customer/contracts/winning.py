"""An approved contract wins its deal (DOMAIN §2): in the approval's transaction the deal enters its
pipeline's won stage (`contract_signed`) under the deal's own stage rules, the approver as actor. When the
rules refuse (invoice info or an earlier stage's condition still missing) the approval stands and the deal
keeps its stage; the contract records what was missing, and the rep moves the deal once it is filled.
A deal without an amount takes the contract's, so its won amount is what was signed."""
from __future__ import annotations

from crm_common.kernel.refusals import Conflict

from ..opportunities import rules as deal_rules
from ..opportunities import store as deals
from ..pipelines import pipelines


def win(rt, session, customer: dict, deal: dict, contract: dict, *, by: str) -> list:
    """Move the open `deal` into its won stage on `contract`'s approval; the customer's events."""
    key = deal_rules.won_stage(pipelines.get(rt, deal["pipeline_id"], session))
    if deal["status"] != "open" or key is None:
        return []  # a deal closed already (lost, or won before) is not reopened by its contract
    move = {"opportunity_id": deal["_id"], "to": key}
    priced = []
    if deal.get("amount") is None:  # a deal nobody priced is worth what its approved contract says
        deal, priced = deals.edit(rt, session, customer, deal, {
            "amount": contract["amount"], "amount_source": {"kind": "contract", "contract_id": contract["_id"]}}, by=by)
    try:
        _, events = deals.enter(rt, session, customer, deal, {"stage": key}, by=by, contract_id=contract["_id"])
    except Conflict as refused:  # raised before anything is written: the approval goes on without the move
        contract["stage_move"] = {**move, "moved": False,
                                  "missing_conditions": refused.extra.get("missing_conditions", [])}
        return priced
    contract["stage_move"] = {**move, "moved": True, "missing_conditions": []}
    return priced + events
