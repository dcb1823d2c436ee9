"""The plan of a submission or a batch: each row an exact duplicate of a record, or a new lead with its
verdict (new or possible duplicate), decided in memory as if each row were submitted after the one before."""
from __future__ import annotations

from dataclasses import dataclass, field

from crm_common.kernel.company_names import CompanyName
from crm_common.paging import new_id

from ..dedup import companies, verdicts
from ..dedup.verdicts import Record


@dataclass
class Row:
    """One submission and what the plan decided for it."""
    body: dict
    draft: dict
    keys: list[str]
    name: CompanyName
    found: verdicts.Verdict | None = None    # the record it is an exact duplicate of
    lead_id: str | None = None               # set when it becomes a lead of its own
    new_keys: list = field(default_factory=list)  # a new lead's keys nobody held or was offered
    offers: list = field(default_factory=list)    # an exact duplicate's keys its record did not hold: offered
    taken: dict = field(default_factory=dict)     # a new lead's keys offered to another record: key -> that record
    verdict: verdicts.Verdict | None = None  # a new lead's verdict: new or possible_duplicate
    company: dict | None = None              # a new lead's company record (companies.document)

    @property
    def creates(self) -> bool:
        return self.lead_id is not None


def plan(rt, rows: list[Row], held: dict[str, Record], threshold: int,
         offered: dict[str, Record] | None = None) -> None:
    """Decide each row: an exact duplicate of a record, or a new lead with its verdict.

    `held`: the keys records hold as their own; `offered`: the keys only offered to one (unconfirmed)."""
    held, offered = dict(held), dict(offered or {})  # what the batch's earlier rows take holds for the later ones
    for row in rows:
        found = verdicts.exact([(k, held[k]) for k in row.keys if k in held])
        unheld = [k for k in row.keys if k not in held]
        row.found, row.lead_id, row.verdict, row.company = found, None, None, None
        row.new_keys, row.offers, row.taken = [], [], {}
        if found:
            # An exact duplicate (DOMAIN §1) even when it brings a new phone, email or WeChat id. The new
            # methods are only offered to the record it joins (kept on the touchpoint, named to its owner):
            # a channel's form must not bind a stranger's phone to it. A user confirms them, or a later
            # submission with one of them is a new lead flagged as a possible duplicate of this record.
            row.offers = [k for k in unheld if k not in offered]
            for key in row.offers:
                offered[key] = found.duplicate_of
            continue
        row.lead_id = new_id()
        # a method offered to another record, and submitted by this person as their own: theirs from now on
        row.taken = {k: offered.pop(k) for k in unheld if k in offered}
        row.new_keys = [k for k in unheld if k not in row.taken]
        for key in unheld:
            held[key] = Record("lead", row.lead_id)
        if row.name.key:
            row.company = companies.document("lead", row.lead_id, row.name, row.draft.get("city"))
    asking = [row for row in rows if row.creates and row.company]
    stored = dict(zip((row.lead_id for row in asking), companies.candidates_many(
        rt.db, [(row.name, row.draft.get("city")) for row in asking])))
    earlier: list[tuple[set, verdicts.Company]] = []  # the batch's new leads' companies, for the rows after them
    for row in rows:
        if not row.creates:
            continue
        if row.lead_id in stored:
            mine, found = stored[row.lead_id]
            blocks = set(row.company["blocks"])
            found = found + [company for their_blocks, company in earlier if blocks & their_blocks]
            row.verdict = verdicts.possible(mine, found, threshold)
        else:
            row.verdict = verdicts.Verdict("new")
        row.verdict = verdicts.with_offers(row.verdict, verdicts.offered(list(row.taken.items())))
        if row.company:
            earlier.append((set(row.company["blocks"]), companies.of_document(row.company)))
