"""Tasks (待办) on the rep's workbench and in the per-rep report, fed through reporting's handlers.

NOW is 12:00 in Shanghai on 2026-06-30 (04:00 UTC): today there runs from 06-29 16:00 to 06-30 16:00 UTC.
"""
from .history import History

BASE = {"priority": "normal", "source": {"kind": "user", "id": "u"}, "by": "u", "overdue": False,
        "done_late": None, "department_path": []}


def task(h, task_id, assignee, due_at, version, status="open", **extra):
    """One task event carrying the task's snapshot (and its version, as the customer service sends it)."""
    kind = extra.pop("kind", {"open": "created", "done": "completed", "cancelled": "cancelled"}[status])
    data = {**BASE, "task_id": task_id, "title": f"Call back {task_id}", "assignee_id": assignee,
            "due_at": due_at, "status": status, "version": version, "customer_id": "C1",
            "related": {"kind": "customer", "id": "C1", "customer_id": "C1"},
            "created_at": "2026-06-20T10:00:00+00:00", **extra}
    return h.emit(f"crm.task.{kind}", task_id, data, version)


def known_tasks(rt) -> list[dict]:
    h = History(rt)
    h.user("rep-a"), h.user("rep-b")
    task(h, "T1", "rep-a", "2026-06-30T07:00:00+00:00", 1, priority="high")  # 15:00 today: still to come
    task(h, "T2", "rep-a", "2026-06-30T02:00:00+00:00", 1)                   # 10:00 today: overdue now
    created = task(h, "T3", "rep-a", "2026-06-30T06:00:00+00:00", 1)         # done on time, this morning
    task(h, "T3", "rep-a", "2026-06-30T06:00:00+00:00", 2, "done", completed_at="2026-06-30T03:00:00+00:00",
         done_late=False)
    h.events.append(created)                                                 # redelivered after its completion
    task(h, "T4", "rep-a", "2026-06-28T10:00:00+00:00", 1)
    task(h, "T4", "rep-a", "2026-06-28T10:00:00+00:00", 2, "done", completed_at="2026-06-29T10:00:00+00:00",
         done_late=True)
    task(h, "T5", "rep-b", "2026-06-27T10:00:00+00:00", 1)                   # rep-b's, three days late
    task(h, "T6", "rep-b", "2026-06-20T10:00:00+00:00", 1)
    task(h, "T6", "rep-b", "2026-06-20T10:00:00+00:00", 2, "cancelled",  # neither listed nor counted
         cancelled_at="2026-06-21T10:00:00+00:00")
    return h.events


def test_a_reps_today_and_overdue_tasks_are_on_their_workbench_only(rt, feed, at_now, get):
    feed(known_tasks(rt))

    mine = get("/v1/workbench", "rep-a", "rep")
    assert [t["task_id"] for t in mine["tasks_today"]] == ["T1"]      # T3 was due today but is done
    assert [t["task_id"] for t in mine["tasks_overdue"]] == ["T2"]    # T4 is done, however late
    assert mine["tasks_today"][0] == {"task_id": "T1", "title": "Call back T1", "due_at": "2026-06-30T07:00:00+00:00",
                                      "priority": "high",
                                      "related": {"kind": "customer", "id": "C1", "customer_id": "C1"}}
    assert mine["more"]["tasks_today"] is False and mine["more"]["tasks_overdue"] is False

    theirs = get("/v1/workbench", "rep-b", "rep")
    assert theirs["tasks_today"] == []
    assert [t["task_id"] for t in theirs["tasks_overdue"]] == ["T5"]


def test_a_reassigned_task_moves_to_the_new_assignees_workbench_and_counts(rt, feed, at_now, get):
    h = History(rt)
    h.user("rep-a"), h.user("rep-b")
    task(h, "T8", "rep-a", "2026-06-29T10:00:00+00:00", 1)
    task(h, "T8", "rep-b", "2026-06-29T10:00:00+00:00", 2, kind="assigned", from_assignee_id="rep-a",
         assigned_at="2026-06-30T01:00:00+00:00")
    feed(h.events)
    assert get("/v1/workbench", "rep-a", "rep")["tasks_overdue"] == []
    assert [t["task_id"] for t in get("/v1/workbench", "rep-b", "rep")["tasks_overdue"]] == ["T8"]
    counts = {i["user_id"]: i["tasks_open_overdue"] for i in get("/v1/reports/reps")["items"]}
    assert counts.get("rep-a", 0) == 0 and counts["rep-b"] == 1


def test_a_completed_task_leaves_the_workbench(rt, feed, at_now, get):
    h = History(rt)
    h.user("rep-a")
    task(h, "T9", "rep-a", "2026-06-30T07:00:00+00:00", 1)
    feed(h.events)
    assert [t["task_id"] for t in get("/v1/workbench", "rep-a", "rep")["tasks_today"]] == ["T9"]
    done = task(h, "T9", "rep-a", "2026-06-30T07:00:00+00:00", 2, "done", completed_at="2026-06-30T03:30:00+00:00")
    feed([done])
    after = get("/v1/workbench", "rep-a", "rep")
    assert after["tasks_today"] == [] and after["tasks_overdue"] == []


def test_the_per_rep_report_counts_tasks_done_done_late_and_open_overdue(rt, feed, at_now, get):
    feed(known_tasks(rt))
    counts = ("tasks_done", "tasks_done_late", "tasks_open_overdue")

    def of(body):
        return {i["user_id"]: tuple(i[c] for c in counts) for i in body["items"]}

    assert of(get("/v1/reports/reps")) == {"rep-a": (2, 1, 1), "rep-b": (0, 0, 1)}
    assert of(get("/v1/reports/reps", "rep-a", "rep"))["rep-a"] == (2, 1, 1)   # a rep's own, from its records
    assert of(get("/v1/reports/reps", "m-east", "manager", ["d-root", "d-east"])) == {"rep-a": (2, 1, 1)}
    # done counts follow the period: T4 was done yesterday, T3 today
    assert of(get("/v1/reports/reps", **{"from": "2026-06-30"}))["rep-a"] == (1, 0, 1)
