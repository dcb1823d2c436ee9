"""One authority for ownership: the pool asks, the customer service decides, both converge."""
from crm_common.testing.events import of


def test_a_follow_up_the_pool_has_not_heard_of_stops_the_reclaim_and_both_services_agree(world):
    from pool.reclaim import job
    customer = world.customer("alice")
    world.settle()
    world.at_day(6.99)
    world.follow_up(customer["id"])            # the pool's consumer is held back: it does not hear of this yet
    world.at_day(7.01)
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1   # decided from the pool's stale copy
    world.to_customer.flow()                    # the customer service refuses: the last follow-up moved on
    stored = world.stored_customer(customer["id"])
    assert (stored["owner_id"], stored["in_pool"]) == (world.id("alice"), False)

    world.settle()                              # now the pool hears the follow-up and the refusal
    entry = world.entry(customer["id"])
    assert (entry["status"], entry["owner_id"], entry["pending"]) == ("owned", world.id("alice"), None)
    assert entry["reclaim_due_at"] > world.pool_rt.clock.now()
    moves = list(world.pool_rt.db.movements.find({"customer_id": customer["id"]}))
    assert [(m["kind"], m["state"], m["refusal"]) for m in moves] == [("reclaim", "refused", "followed_up")]
    assert of(world.pool_rt, "crm.pool.customer_reclaimed") == []   # nobody tells alice she lost it
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 0


def test_an_unchallenged_reclaim_is_applied_by_the_customer_service_and_then_published(world):
    from pool.reclaim import job
    customer = world.customer("alice")
    world.settle()
    world.at_day(8)
    assert job.reclaim_due(world.pool_rt)["reclaimed"] == 1
    world.settle()
    stored = world.stored_customer(customer["id"])
    assert (stored["owner_id"], stored["in_pool"], stored["pool_id"]) == (None, True, "default")
    entry = world.entry(customer["id"])
    assert (entry["status"], entry["pool_id"], entry["pending"]) == ("in_pool", "default", None)
    [told] = of(world.pool_rt, "crm.pool.customer_reclaimed")
    assert (told["data"]["previous_owner_id"], told["data"]["reason"]) == (world.id("alice"), "no_followup")


def test_a_manager_assigning_an_in_pool_customer_in_the_customer_service_is_tracked_by_the_pool(world):
    from pool.reclaim import job
    customer = world.customer("alice")
    world.settle()
    world.at_day(8)
    job.reclaim_due(world.pool_rt)
    world.settle()
    stored = world.customer_client.get(f"/v1/customers/{customer['id']}", headers=world.customer_admin)
    response = world.customer_client.post(f"/v1/customers/{customer['id']}/owner", headers={
        **world.customer_admin, "If-Match": stored.headers["ETag"]}, json={"owner_id": world.id("bob")})
    assert response.status_code == 200, response.json
    world.settle()
    entry = world.entry(customer["id"])
    assert (entry["status"], entry["owner_id"]) == ("owned", world.id("bob"))
    assert entry["reclaim_due_at"] > world.pool_rt.clock.now()
    kinds = [m["kind"] for m in world.pool_rt.db.movements.find({"customer_id": customer["id"]}).sort("_id", 1)]
    assert kinds == ["reclaim", "assign"]


def test_a_claim_overtaken_by_a_managers_assignment_is_refused_and_uses_no_quota(world):
    from pool.reclaim import job
    customer = world.customer("alice")
    world.settle()
    world.at_day(8)
    job.reclaim_due(world.pool_rt)
    world.settle()
    claimed = world.pool_client.post(f"/v1/pools/default/customers/{customer['id']}/claim",
                                     headers=world.headers["bob"])
    assert claimed.status_code == 200, claimed.json   # the pool's answer; the customer service has the last word
    response = world.customer_client.post(f"/v1/customers/{customer['id']}/owner", headers=world.customer_admin,
                                          json={"owner_id": world.id("carol")})
    assert response.status_code == 200, response.json
    world.settle()
    stored = world.stored_customer(customer["id"])
    entry = world.entry(customer["id"])
    assert stored["owner_id"] == entry["owner_id"] == world.id("carol") and entry["pending"] is None
    moves = list(world.pool_rt.db.movements.find({"customer_id": customer["id"]}).sort("_id", 1))
    assert [(m["kind"], m["state"], m["user_id"]) for m in moves] == [
        ("reclaim", "done", world.id("alice")), ("claim", "refused", world.id("bob")),
        ("assign", "done", world.id("carol"))]
    assert of(world.pool_rt, "crm.pool.customer_claimed") == []
    from pool.claims import eligibility
    from pool.movements import log
    today = eligibility.day_start(world.pool_rt.clock.now())
    assert world.pool_rt.transaction(lambda s: log.claims_since(world.pool_rt, s, world.id("bob"), today)) == 0
