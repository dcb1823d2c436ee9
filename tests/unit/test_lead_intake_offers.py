"""Offered contact methods (issue 21), pure: which records they name as candidates, and what a confirmation takes."""
from crm_common.kernel.refusals import Conflict
from lead_intake.dedup import verdicts
from lead_intake.dedup.verdicts import Record, Verdict
from lead_intake.leads.contacts import confirmation, keys_of


def test_offered_methods_name_their_record_first_and_once():
    offers = verdicts.offered([("phone:+8613900139111", Record("lead", "L1")), ("email:a@a.cn", Record("lead", "L1")),
                               ("phone:+8613900139222", Record("customer", "C1"))])
    assert [(c["kind"], c["id"], c["reason"], c["compared"]["offered_keys"]) for c in offers] == [
        ("customer", "C1", "offered_contact", ["phone:+8613900139222"]),
        ("lead", "L1", "offered_contact", ["email:a@a.cn", "phone:+8613900139111"])]
    company = Verdict("possible_duplicate", candidates=[{"id": "L1", "kind": "lead", "reason": "same_company_key"},
                                                        {"id": "L2", "kind": "lead", "reason": "same_company_key"}])
    merged = verdicts.with_offers(company, offers)
    assert [(c["id"], c["reason"]) for c in merged.candidates] == [
        ("C1", "offered_contact"), ("L1", "offered_contact"), ("L2", "same_company_key")]
    assert verdicts.with_offers(Verdict("new"), []).verdict == "new"
    assert verdicts.with_offers(Verdict("new"), offers).verdict == "possible_duplicate"


def test_a_confirmation_takes_offers_and_refuses_a_method_another_record_holds():
    wanted = keys_of({"phones": ["139 0013 9111"], "emails": ["A@a.cn"]})
    assert wanted == {"phone:+8613900139111": ("phones", "+8613900139111"), "email:a@a.cn": ("emails", "a@a.cn")}
    held = {"phone:+8613900139111": {"kind": "lead", "record_id": "L2", "offered": True}}
    assert confirmation("L1", wanted, held) == {
        "added": ["email:a@a.cn", "phone:+8613900139111"], "offered_elsewhere": {"phone:+8613900139111": ("lead", "L2")}}
    mine = {"email:a@a.cn": {"kind": "lead", "record_id": "L1"}}
    assert confirmation("L1", wanted, mine)["added"] == ["phone:+8613900139111"]
    refused = confirmation("L1", wanted, {"email:a@a.cn": {"kind": "customer", "record_id": "C1"}})
    assert isinstance(refused, Conflict) and refused.errors[0]["field"] == "emails"
