"""What a reminder says, in Chinese (the default) or English: the customer, the last follow-up,
key facts and a suggested next step."""
from __future__ import annotations

from datetime import datetime

from .. import readers

# kind -> language -> (title, body, suggested next step); fields come from `_fields`.
TEXT = {
    "cadence": {
        "zh": ("该跟进{name}了", "{level}级客户每{days}天跟进一次，距上次联系已{since_days}天。上次跟进：{summary}",
               "今天联系{name}并记录跟进"),
        "en": ("Time to follow up {name}", "Level {level} customers get a follow-up every {days} days; "
               "last contact {since_days} days ago. Last follow-up: {summary}", "Contact {name} today and log it")},
    "next_contact": {
        "zh": ("按计划联系{name}", "上次跟进约定的下次联系时间到了：{next_plan}", "按计划联系并记录结果"),
        "en": ("Contact {name} as planned", "The next contact agreed at the last follow-up is due: {next_plan}",
               "Make the planned contact and log the outcome")},
    "overdue": {
        "zh": ("逾期未跟进：{name}（{owner}）", "{owner}的{origin}提醒已逾期{late_days}天仍未跟进。",
               "督促{owner}今天联系客户"),
        "en": ("Overdue: {name} ({owner})", "{owner}'s {origin} reminder is {late_days} days overdue "
               "with no follow-up.", "Ask {owner} to contact the customer today")},
    "overdue_lead": {  # a lead has no customer yet: named by its id
        "zh": ("线索超时未响应：{owner}", "分配给{owner}的线索{lead}应在{due}前响应，已逾期{late_days}天仍未联系。",
               "督促{owner}今天联系该线索"),
        "en": ("Lead not contacted: {owner}", "Lead {lead}, assigned to {owner}, was due a response by {due}; "
               "{late_days} days later there is still no contact.", "Ask {owner} to contact the lead today")},
    "task_due": {
        "zh": ("待办到期：{title}", "待办「{title}」（优先级{priority}）应在{due}前完成。", "完成待办并记录结果"),
        "en": ("Task due: {title}", "Task \"{title}\" (priority {priority}) is due by {due}.",
               "Do the task and record the outcome")},
    "overdue_task": {  # a task's escalation: the assignee, not the customer's owner, let it slip
        "zh": ("待办逾期：{title}（{owner}）", "{owner}的待办「{title}」已逾期{late_days}天仍未完成。", "督促{owner}今天完成"),
        "en": ("Overdue task: {title} ({owner})", "{owner}'s task \"{title}\" is {late_days} days overdue "
               "and still open.", "Ask {owner} to finish it today")},
    "lead_assigned": {
        "zh": ("新线索已分配给你", "请在{due}前（{hours}小时内）响应。", "尽快电话联系线索"),
        "en": ("A new lead is yours", "Respond by {due} (within {hours} hours of assignment).",
               "Call the lead as soon as you can")},
    "pool_claimed": {
        "zh": ("你从公海领取了{name}", "请在{due}前完成首次联系（{hours}小时内），否则可能被收回。", "{hours}小时内首次联系并记录跟进"),
        "en": ("You claimed {name} from the pool", "Make the first contact by {due} (within {hours} hours) "
               "or it may go back.", "Contact them within {hours} hours and log it")},
    "reclaim_warning": {
        "zh": ("{name}将被收回公海", "如不跟进，将于{due}收回公海。上次跟进：{summary}", "今天跟进以保留客户"),
        "en": ("{name} will go back to the pool", "Without a follow-up it returns to the pool at {due}. "
               "Last follow-up: {summary}", "Follow up today to keep the customer")},
    "renewal": {
        "zh": ("合同续约：{name}", "合同《{title}》将于{end_date}到期（还有{days_before}天）。", "联系客户商谈续约"),
        "en": ("Contract renewal: {name}", "Contract \"{title}\" ends on {end_date} ({days_before} days left).",
               "Contact the customer about renewal")},
    "birthday": {
        "zh": ("{contact_name}的生日", "{name}的联系人{contact_name}将于{date}过生日。", "送上生日祝福"),
        "en": ("{contact_name}'s birthday", "{contact_name} of {name} has a birthday on {date}.",
               "Send birthday wishes")},
    "anniversary": {
        "zh": ("{name}成立{years}周年", "{name}将于{date}迎来成立{years}周年。", "发送周年祝贺"),
        "en": ("{name}: {years} years", "{name} turns {years} on {date}.", "Send congratulations")},
    "lead_resubmitted": {
        "zh": ("你的{record}又通过{channel}提交了信息", "对方再次提交了联系方式，已记为一次接触。", "现在是联系的好时机"),
        "en": ("Your {record} came back through {channel}", "They submitted their details again; it is recorded "
               "as a touchpoint.", "A good moment to call")},
    "stage_change": {
        "zh": ("重要客户阶段变化：{name}", "{grade}客户{name}（负责人{owner}）从{from_stage}进入{to_stage}。",
               "与{owner}沟通下一步"),
        "en": ("High-value customer changed stage: {name}", "{name} (grade {grade}, owner {owner}) moved from "
               "{from_stage} to {to_stage}.", "Talk the next step over with {owner}")},
    "customer_assigned": {
        "zh": ("新客户：{name}", "该客户现在归你负责，请首次联系并记录跟进。", "首次联系客户"),
        "en": ("New customer: {name}", "The customer is yours now. Make the first contact and record it as a "
               "follow-up.", "Make the first contact")},
    "customer_reclaimed": {
        "zh": ("客户已收回公海：{name}", "因公海规则（{reason}）收回，其他销售现在可以领取。", "如仍有意向请重新领取"),
        "en": ("A customer went back to the pool", "Reclaimed by the pool rules ({reason}). Any entitled rep "
               "may claim it now.", "Claim it again if you are still working on it")},
    "stage_followup": {
        "zh": ("跟进{name}", "进入{stage}阶段要求此时跟进（{action}）。", "联系客户推进阶段"),
        "en": ("Follow up {name}", "Entering {stage} asked for a follow-up ({action}) by now.",
               "Contact the customer to move the stage on")},
    "rule_notice": {  # the rule's own words, as its author wrote them
        "zh": ("自动化提醒：{name}", "{message}", ""),
        "en": ("Automation notice: {name}", "{message}", "")},
    "rule_paused": {
        "zh": ("自动化规则已暂停：{rule_name}", "该规则连续多次运行失败，已自动暂停，不再触发。", "查看运行记录，修正后重新启用"),
        "en": ("Automation rule paused: {rule_name}", "Its runs kept failing, so it was paused and fires no more.",
               "Check its runs, fix it and activate it again")},
}


class _Blank(dict):
    def __missing__(self, key):
        return "-"


def compose(reminder: dict, customer: dict | None, language: str, now: datetime, names: dict,
            timezone: str | None = None) -> dict:
    """What `reminder` says to a reader of `language`, its times in their `timezone` (readers.py)."""
    fields, facts = _fields(reminder, customer or {}, now, names, language, timezone)
    kind = reminder["kind"]
    if kind == "overdue":
        kind = "overdue_task" if reminder.get("task_id") else "overdue" if reminder.get("customer_id") else "overdue_lead"
    title, body, step = TEXT[kind]["en" if language == "en" else "zh"]
    blank = _Blank({k: v for k, v in fields.items() if v not in (None, "")})
    return {"title": title.format_map(blank), "body": body.format_map(blank),
            "suggested_next_step": step.format_map(blank), "facts": facts}


def _fields(reminder: dict, c: dict, now: datetime, names: dict, language: str,
            timezone: str | None) -> tuple[dict, dict]:
    last = c.get("last_followup") or {}
    since = last.get("at") or c.get("owner_since")
    facts = {"customer": c.get("name"), "level": c.get("level"), "stage": c.get("stage"), "grade": c.get("grade"),
             "days_since_contact": (now - since).days if since else None, "amount": c.get("amount"),
             "last_followup": last.get("summary") or None}
    data = reminder.get("data") or {}
    due = reminder.get("due_at")
    owner = reminder.get("user_id") if reminder.get("task_id") else c.get("owner_id") or reminder.get("user_id")
    fields = {**data, "name": c.get("name") or data.get("name"), "level": c.get("level"), "grade": c.get("grade"),
              "summary": last.get("summary"), "since_days": facts["days_since_contact"],
              "lead": reminder.get("lead_id"), "owner": names.get(owner, owner),
              "due": readers.local_time(due, timezone, language) if due else None}
    if reminder["kind"] == "overdue" and due:
        fields["late_days"] = max((now - due).days, 1)
    facts.update({k: v for k, v in data.items() if k in ("contract_id", "end_date", "days_before", "contact_name",
                                                          "date", "years", "from_stage", "to_stage", "origin",
                                                          "title", "priority", "related_kind", "related_id")})
    if data.get("new_contacts"):
        facts["new_contacts"] = data["new_contacts"]
    facts.update({k: v for k, v in data.items() if k in DEAL_FACTS})
    return fields, {k: v for k, v in facts.items() if v is not None}


# A deal's and a contract's reminders (deals.py) name the deal or the contract in their facts.
DEAL_FACTS = ("opportunity_id", "opportunity", "deal_stage", "expected_days", "contract_amount", "approval_step")
TEXT.update({
    "stage_stay": {
        "zh": ("商机停滞：{opportunity}", "{name}的商机「{opportunity}」在{deal_stage}阶段已超过预期的{expected_days}天。",
               "推进该商机，或更新它的阶段"),
        "en": ("Deal stalled: {opportunity}", "{name}'s deal \"{opportunity}\" has been in {deal_stage} longer than "
               "the {expected_days} days expected.", "Move the deal on, or update its stage")},
    "approval": {
        "zh": ("合同待你审批：{title}", "{owner}提交的{name}合同《{title}》（{contract_amount}元）等待你的第{approval_step}级审批。",
               "在审批列表中批准或驳回"),
        "en": ("A contract awaits your approval: {title}", "{owner}'s contract \"{title}\" with {name} "
               "({contract_amount} yuan) waits for your approval (step {approval_step}).",
               "Approve or reject it in your approvals list")},
})
