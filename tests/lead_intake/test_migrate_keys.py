"""An existing database gets the new keys from one idempotent command."""
from crm_common.kernel.company_names import parse
from lead_intake.dedup import companies
from lead_intake.dedup import matching as intake
from lead_intake.migrations.migrate_keys import migrate


def old_database(db):
    """What the previous normaliser left: keys that kept the branch, the division and the Traditional script."""
    db.leads.insert_one({"_id": "L1", "name": "王偉", "company": "華信電子科技有限公司北京分公司", "city": "上海市",
                         "company_key": "華信電子科技有限公司北京", "status": "new", "phones": [], "emails": []})
    db.companies.insert_many([
        {"_id": "lead:L1", "kind": "lead", "record_id": "L1", "company_key": "華信電子科技有限公司北京",
         "key_length": 13, "city": "上海市", "removed": False},
        {"_id": "customer:C1", "kind": "customer", "record_id": "C1", "company_key": "杭州市云帆物流",
         "key_length": 7, "city": "杭州", "removed": False}])
    db.customers.insert_one({"_id": "C1", "name": "浙江省杭州市云帆物流有限公司", "owner_id": "rep-1"})
    db.identity_keys.insert_many([
        {"_id": "company_contact:華信電子科技有限公司北京/王偉", "kind": "lead", "record_id": "L1"},
        {"_id": "company_contact:杭州市云帆物流/李四", "kind": "customer", "record_id": "C1", "from_snapshot": True}])


def test_the_migration_computes_the_new_keys_and_a_second_run_changes_nothing(rt):
    old_database(rt.db)
    assert migrate(rt.db) == {"leads": 1, "companies": 2, "company_contact_keys": 2}
    assert rt.db.leads.find_one({"_id": "L1"})["company_key"] == "华信电子科技"
    assert {k["_id"] for k in rt.db.identity_keys.find()} == {"company_contact:华信电子科技/王伟",
                                                              "company_contact:云帆物流/李四"}
    assert rt.db.identity_keys.find_one({"_id": "company_contact:云帆物流/李四"})["from_snapshot"] is True
    assert migrate(rt.db) == {"leads": 0, "companies": 0, "company_contact_keys": 0}


def test_after_the_migration_old_records_are_found_by_every_rule(rt):
    old_database(rt.db)
    migrate(rt.db)
    exact = intake.key_matches(rt.db, intake.keys_of(intake.draft_of(
        {"name": "王 伟", "company": "华信电子科技（北京）有限公司"}, {"_id": "c", "name": "web"})))
    assert [record.id for _, record in exact] == ["L1"]
    verdict = intake.possible(rt, {"company": "華新物流", "city": "Shanghai"})
    assert [(c["id"], c["reason"]) for c in verdict.candidates] == [("L1", "homophone_brand_same_city")]
    verdict = intake.possible(rt, {"company": "云帆物流", "city": "北京"})
    assert [(c["id"], c["reason"]) for c in verdict.candidates] == [("C1", "same_company_key")]
    stored = rt.db.companies.find_one({"_id": "customer:C1"})
    assert stored["blocks"] == companies.document("customer", "C1", parse("云帆物流"), "杭州")["blocks"]
