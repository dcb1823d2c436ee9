"""Every event's `data`, typed: generated from crm_common/contracts by `python -m crm_events.generate`.
Do not edit; run the generator after a contract changes.
"""
from typing import Any, Literal, NotRequired, TypedDict

Level = Literal['A', 'B', 'C']

Lifecycle = Literal['potential', 'nurturing', 'has_demand', 'target', 'signed', 'repeat_purchase', 'lost', 'invalid']

Grade = Literal['large', 'normal', 'small'] | None

class ContactIdentity(TypedDict):
    contact_id: NotRequired[str]
    name: NotRequired[str]
    phones: list[str]
    emails: list[str]
    wechat_ids: list[str]
    email: NotRequired[str | None]
    mobile: NotRequired[str | None]
    language: NotRequired[Literal['zh', 'en'] | None]
    timezone: NotRequired[str | None]
    primary: NotRequired[bool]

class Birthday(TypedDict):
    contact_id: str
    name: NotRequired[str]
    birthday: str

# the customer's milestones (里程碑): valuable, pinned (上首屏), target (with target_month, YYYY-MM) and signed, each true or false once set; absent when never set
class Milestones(TypedDict):
    valuable: NotRequired[bool]
    pinned: NotRequired[bool]
    target: NotRequired[bool]
    signed: NotRequired[bool]
    target_month: NotRequired[str]

# What every crm.customer.* event carries (customers.snapshot in the customer service): who owns the customer, where it is, and its contacts' identity keys.
class CustomerSnapshot(TypedDict):
    customer_id: str
    name: str
    owner_id: str | None
    department_path: list[str]
    collaborator_ids: list[str]
    level: Level
    stage: str
    lifecycle: Lifecycle
    tags: NotRequired[list[str]]
    city: NotRequired[str | None]
    industry: NotRequired[str | None]
    contacts: list[ContactIdentity]
    grade: NotRequired[Grade]
    founded_on: NotRequired[str | None]
    birthdays: NotRequired[list[Birthday]]
    milestones: NotRequired[Milestones]
    version: int

class User(TypedDict):
    user_id: str
    username: str
    role: Literal['admin', 'manager', 'rep']
    department_id: NotRequired[str | None]
    department_path: list[str]
    supervisor_id: NotRequired[str | None]
    active: bool
    team_ids: NotRequired[list[str]]
    holding_limit: NotRequired[int]
    token_version: NotRequired[int]

class Department(TypedDict):
    department_id: str
    name: str
    parent_id: str | None
    path: list[str]
    active: NotRequired[bool]

class Team(TypedDict):
    team_id: str
    name: str
    department_id: str | None
    members: list[dict[str, Any]]
    active: bool

class NotificationDelivery(TypedDict):
    key: str
    reminder_key: NotRequired[str]
    kind: str
    user_id: str
    customer_id: NotRequired[str | None]
    lead_id: NotRequired[str | None]
    robot_id: NotRequired[str | None]
    attempts: int

Money = str

# What every crm.opportunity.* event carries (opportunities.rules.snapshot in the customer service): the deal, its customer, who owns it and where it stands. The event's subject is the opportunity id; its Kafka message key (partitionkey) is the customer id, so a customer's deals share its partition.
class OpportunitySnapshot(TypedDict):
    opportunity_id: str
    customer_id: str
    name: str
    owner_id: str | None
    department_path: list[str]
    pipeline_id: str
    stage: str
    status: Literal['open', 'won', 'lost']
    amount: Money | None
    expected_close_date: NotRequired[str | None]
    grade: NotRequired[Grade]
    expected_amount: NotRequired[Money | None]
    expected_sign_date: NotRequired[str | None]
    source_lead_id: NotRequired[str | None]
    loss_reason: NotRequired[str | None]

# What every crm.quote.* event carries (quotes.decisions.snapshot in the customer service): one version of a quote, its opportunity and customer, who owns the opportunity, its lines and totals (exact decimal strings). The event's subject is the quote id (one id per version; `first_id` is version 1's, shared by every version); its Kafka message key is the customer id, so it keeps order with the customer's events.
class QuoteSnapshot(TypedDict):
    quote_id: str
    first_id: str
    quote_version: int
    opportunity_id: str
    customer_id: str
    owner_id: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    status: Literal['draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded']
    valid_until: str
    subtotal: Money
    discount_total: Money
    total: Money
    lines: list[dict[str, Any]]

# What every crm.contract.* event carries (contracts.contracts.snapshot in the customer service): the contract, its deal and customer, its amount, dates and status after the event. Subject: the contract id; message key: the customer id.
class ContractSnapshot(TypedDict):
    contract_id: str
    customer_id: str
    opportunity_id: NotRequired[str | None]
    owner_id: NotRequired[str | None]
    title: NotRequired[str | None]
    number: NotRequired[str | None]
    amount: Money
    start_date: str
    end_date: str
    status: Literal['draft', 'pending_approval', 'approved', 'active', 'expired', 'rejected']

# A decision on a contract, as the contract records it: who, when, with what comment, and whom it waits for next (null once decided).
class ContractDecision(TypedDict):
    step: NotRequired[Literal['manager', 'admin'] | None]
    by: str
    at: str
    comment: NotRequired[str | None]
    awaiting: None | dict[str, Any]

# What every crm.invoice.* event carries (contracts.invoices.snapshot in the customer service): the invoice (发票), its contract and customer, its amounts with and without tax, the buyer. Subject: the invoice id; message key: the customer id.
class InvoiceSnapshot(TypedDict):
    invoice_id: str
    contract_id: str
    customer_id: str
    number: NotRequired[str | None]
    type: Literal['normal', 'special']
    tax_rate: str
    amount: str
    amount_without_tax: str
    tax: str
    buyer_title: str
    buyer_tax_id: str
    status: Literal['issued', 'voided']
    by: str
    at: str

# A rule's request, as the service owning the data answered it
class AutomationAppliedV1(TypedDict):
    request_id: str
    run_id: str
    rule_id: str
    step: int
    service: str
    status: Literal['applied', 'refused', 'failed']
    reason: NotRequired[str | None]
    result: NotRequired[dict[str, Any]]
    answered_at: str

# Action requested by an automation rule's run
class AutomationRequestedV1(TypedDict):
    request_id: str
    run_id: str
    rule_id: str
    rule_version: int
    step: int
    action: dict[str, Any]
    record: dict[str, Any]
    expected: dict[str, Any]
    causation: dict[str, Any]
    requested_at: str

# Configuration changed
class ConfigChangedV1(TypedDict):
    audit_id: str
    service: str
    kind: str
    subject: str
    actor: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_at: str

# Contact unsubscribed
class ContactUnsubscribedV1(TypedDict):
    contact_id: str
    kind: NotRequired[Literal['customer_contact', 'lead'] | None]
    customer_id: NotRequired[str | None]
    lead_id: NotRequired[str | None]
    channel: Literal['email', 'sms']
    source: str
    unsubscribed_at: str

# Contract activated
class ContractActivatedV1(ContractSnapshot):
    activated_at: str

# Contract approved
class ContractApprovedV1(ContractSnapshot, ContractDecision):
    automatic: NotRequired[bool]
    final: bool

# Contract rejected
class ContractRejectedV1(TypedDict):
    contract_id: str
    customer_id: str
    opportunity_id: NotRequired[str | None]
    owner_id: NotRequired[str | None]
    title: NotRequired[str | None]
    number: NotRequired[str | None]
    amount: Money
    start_date: str
    end_date: str
    status: Literal['draft', 'pending_approval', 'approved', 'active', 'expired', 'rejected']
    step: NotRequired[Literal['manager', 'admin'] | None]
    by: str
    at: str
    comment: str
    awaiting: None | dict[str, Any]

# Contract submitted
class ContractSubmittedV1(ContractSnapshot, ContractDecision):
    pass

# Contract signed
class CustomerContractSignedV1(CustomerSnapshot):
    contract_id: str
    title: NotRequired[str | None]
    amount: str
    start_date: str
    end_date: str
    order_total: str
    by: NotRequired[str]
    signed_at: str

# Customer created
class CustomerCreatedV1(CustomerSnapshot):
    source_lead_id: NotRequired[str | None]
    created_at: str
    by: NotRequired[str | None]

# Customer deleted
class CustomerDeletedV1(CustomerSnapshot):
    by: NotRequired[str]
    deleted_at: str

# Customer followed up
class CustomerFollowedUpV1(CustomerSnapshot):
    followup_id: str
    channel: Literal['phone', 'wechat', 'visit', 'email', 'sms', 'event']
    summary: NotRequired[str]
    content: NotRequired[str]
    goal: NotRequired[str | None]
    goal_met: bool
    next_plan: NotRequired[str | None]
    next_contact_at: str | None
    by: str
    followed_up_at: str

# Follow-up scheduled by a stage entry action
class CustomerFollowupScheduledV1(CustomerSnapshot):
    due_at: str
    action: str
    scheduled_at: str

# Customer lifecycle class changed
_CustomerLifecycleChangedV1Fields = TypedDict("_CustomerLifecycleChangedV1Fields", {"from": Literal['potential', 'nurturing', 'has_demand', 'target', 'signed', 'repeat_purchase', 'lost', 'invalid'] | None})
class CustomerLifecycleChangedV1(CustomerSnapshot, _CustomerLifecycleChangedV1Fields):
    to: Literal['potential', 'nurturing', 'has_demand', 'target', 'signed', 'repeat_purchase', 'lost', 'invalid']
    trigger: str
    changed_at: str

# Deal lost
class CustomerLostV1(CustomerSnapshot):
    reason: str
    by: NotRequired[str]
    lost_at: str

# Customer owner changed
class CustomerOwnerChangedV1(CustomerSnapshot):
    from_owner_id: str | None
    to_owner_id: str | None
    kind: Literal['reassign', 'transfer', 'pool_reclaim', 'pool_claim', 'pool_assign', 'pool_return', 'pool_transfer', 'rule']
    reason: NotRequired[str | None]
    by: NotRequired[str | None]
    claim_count: int
    changed_at: str
    request_id: NotRequired[str | None]
    pool_id: NotRequired[str | None]
    in_pool: NotRequired[bool]

# Ownership request refused
class CustomerOwnershipRefusedV1(CustomerSnapshot):
    pool_id: NotRequired[str | None]
    in_pool: NotRequired[bool]
    request_id: str
    request_kind: Literal['reclaim', 'claim', 'assign', 'return', 'transfer']
    reason: str
    last_followup_at: NotRequired[str | None]
    refused_at: str

# Payment received
class CustomerPaymentReceivedV1(CustomerSnapshot):
    payment_id: str
    contract_id: str | None
    amount: str
    received_on: str
    paid_total: str
    outstanding: str
    by: NotRequired[str]
    recorded_at: str

# Customer qualified (三定一节点)
class CustomerQualifiedV1(CustomerSnapshot):
    qualitative: Literal['valuable', 'not_valuable', 'uncertain']
    expected_amount: str | None
    expected_sign_date: str | None
    by: str
    qualified_at: str

# Customer stage changed
_CustomerStageChangedV1Fields = TypedDict("_CustomerStageChangedV1Fields", {"from": str})
class CustomerStageChangedV1(CustomerSnapshot, _CustomerStageChangedV1Fields):
    to: str
    pipeline_id: str
    by: str
    changed_at: str
    expected_days: NotRequired[list[int] | None]
    expected_rate: NotRequired[float | None]

# Customer updated
class CustomerUpdatedV1(CustomerSnapshot):
    changed_fields: list[str]
    by: NotRequired[str | None]
    updated_at: str

# Deal won
class CustomerWonV1(CustomerSnapshot):
    order_total: str
    by: NotRequired[str]
    won_at: str

# Department created
class DepartmentCreatedV1(Department):
    pass

# Department updated
class DepartmentUpdatedV1(Department):
    pass

# Invoice issued
class InvoiceIssuedV1(InvoiceSnapshot):
    pass

# Invoice voided
class InvoiceVoidedV1(InvoiceSnapshot):
    red_invoice_id: str
    reason: str

# Lead assigned
class LeadAssignedV1(TypedDict):
    lead_id: str
    owner_id: str
    team_id: NotRequired[str | None]
    by: str
    assigned_at: str
    respond_by: str

# Lead contact methods confirmed
class LeadContactMethodsConfirmedV1(TypedDict):
    lead_id: str
    owner_id: str | None
    added_keys: list[str]
    by: str
    confirmed_at: str

# Lead contacted
class LeadContactedV1(TypedDict):
    lead_id: str
    owner_id: str | None
    by: str
    assigned_at: NotRequired[str | None]
    contacted_at: str

# Lead converted
class LeadConvertedV1(TypedDict):
    lead_id: str
    converted_by: str
    owner_id: str
    name: NotRequired[str]
    company: NotRequired[str | None]
    phones: list[str]
    emails: list[str]
    wechat_ids: NotRequired[list[str]]
    converted_at: str
    title: NotRequired[str | None]
    birthday: NotRequired[str | None]
    province: NotRequired[str | None]
    note: NotRequired[str | None]
    city: NotRequired[str | None]
    industry: NotRequired[str | None]

# Lead disqualified
class LeadDisqualifiedV1(TypedDict):
    lead_id: str
    reason: Literal['invalid', 'no_demand', 'competitor', 'unreachable', 'other']
    note: NotRequired[str | None]
    by: str
    disqualified_at: str

# Possible duplicate detected
class LeadDuplicateDetectedV1(TypedDict):
    lead_id: str
    candidates: list[dict[str, Any]]
    detected_at: str

# Lead duplicate dismissed
class LeadDuplicateDismissedV1(TypedDict):
    lead_id: str
    review_id: str
    candidate_ids: list[str]
    by: str
    dismissed_at: str

# Lead merged
class LeadMergedV1(TypedDict):
    merged_id: str
    survivor_id: str
    survivor_kind: Literal['lead', 'customer']
    by: str
    touchpoints_moved: NotRequired[int]
    merged_at: str

# Lead received
class LeadReceivedV1(TypedDict):
    lead_id: str
    channel_id: str
    channel: NotRequired[str]
    name: NotRequired[str]
    company: NotRequired[str | None]
    company_key: NotRequired[str | None]
    phones: list[str]
    emails: list[str]
    wechat_ids: NotRequired[list[str]]
    received_at: str
    city: NotRequired[str | None]
    industry: NotRequired[str | None]
    campaign: NotRequired[str | None]
    score: int
    bucket: Literal['hot', 'warm', 'cold']
    marketing_consent: NotRequired[bool | None]

# Lead resubmitted
class LeadResubmittedV1(TypedDict):
    record_id: str
    record_kind: Literal['lead', 'customer']
    owner_id: str | None
    channel_id: str
    channel: NotRequired[str]
    campaign: NotRequired[str | None]
    matched_keys: list[str]
    added_keys: NotRequired[list[str]]
    offered_keys: NotRequired[list[str]]
    received_at: str

# Notification failed
class NotificationFailedV1(NotificationDelivery):
    delivery_id: str
    channel: Literal['email', 'robot', 'webhook', 'dingtalk_work', 'wecom_app']
    error: str
    failed_at: str

# Notification sent
class NotificationSentV1(NotificationDelivery):
    delivery_id: str
    channel: Literal['email', 'robot', 'webhook', 'inbox', 'dingtalk_work', 'wecom_app']
    sent_at: str

# Opportunity created
class OpportunityCreatedV1(OpportunitySnapshot):
    by: str
    created_at: str
    expected_days: NotRequired[list[int] | None]

# Opportunity deleted
class OpportunityDeletedV1(OpportunitySnapshot):
    by: str
    deleted_at: str

# Opportunity lost
class OpportunityLostV1(OpportunitySnapshot):
    reason: str
    by: str
    lost_at: str

# Opportunity stage changed
_OpportunityStageChangedV1Fields = TypedDict("_OpportunityStageChangedV1Fields", {"from": str})
class OpportunityStageChangedV1(OpportunitySnapshot, _OpportunityStageChangedV1Fields):
    to: str
    by: str
    changed_at: str
    expected_days: NotRequired[list[int] | None]
    expected_rate: NotRequired[float | None]

# Opportunity updated
class OpportunityUpdatedV1(OpportunitySnapshot):
    changed_fields: list[str]
    by: str
    updated_at: str

# Opportunity won
class OpportunityWonV1(OpportunitySnapshot):
    by: str
    won_at: str

# Pipeline changed
class PipelineChangedV1(TypedDict):
    pipeline_id: str
    name: str
    stages: list[dict[str, Any]]
    changed_at: str

# Customer assigned from the pool
class PoolCustomerAssignedV1(TypedDict):
    customer_id: str
    pool_id: str | None
    movement_id: NotRequired[str]
    by: NotRequired[str | None]
    owner_id: str
    previous_owner_id: NotRequired[str | None]
    reason: NotRequired[str | None]
    assigned_at: str

# Customer claimed or assigned from the pool
class PoolCustomerClaimedV1(TypedDict):
    customer_id: str
    owner_id: str
    previous_owner_id: str | None
    kind: Literal['claim', 'assign']
    pool_id: NotRequired[str | None]
    by: NotRequired[str | None]
    claimed_at: str
    movement_id: NotRequired[str]
    first_contact_due_at: NotRequired[str | None]

# Customer reclaimed into the pool
class PoolCustomerReclaimedV1(TypedDict):
    customer_id: str
    previous_owner_id: str
    reason: Literal['no_followup', 'no_deal', 'no_first_contact']
    reclaimed_at: str
    pool_id: NotRequired[str | None]
    movement_id: NotRequired[str]
    by: NotRequired[str | None]

# Customer returned to the pool by its owner
class PoolCustomerReturnedV1(TypedDict):
    customer_id: str
    pool_id: str | None
    movement_id: NotRequired[str]
    by: NotRequired[str | None]
    previous_owner_id: str
    reason: str
    returned_at: str

# Customer moved between pools
class PoolCustomerTransferredV1(TypedDict):
    customer_id: str
    pool_id: str | None
    movement_id: NotRequired[str]
    by: NotRequired[str | None]
    to_pool_id: str
    reason: NotRequired[str | None]
    transferred_at: str

# Ownership change requested by the pool
class PoolOwnershipRequestedV1(TypedDict):
    request_id: str
    customer_id: str
    kind: Literal['reclaim', 'claim', 'assign', 'return', 'transfer']
    expected: dict[str, Any]
    to_owner_id: str | None
    pool_id: str | None
    reason: NotRequired[str | None]
    rule: NotRequired[str | None]
    by: NotRequired[str | None]
    requested_at: str

# Pool changed
class PoolPoolChangedV1(TypedDict):
    pool_id: str
    name: str
    open_to_all: NotRequired[bool]
    member_user_ids: NotRequired[list[str]]
    member_department_ids: NotRequired[list[str]]
    admin_user_ids: NotRequired[list[str]]
    source_department_ids: NotRequired[list[str]]
    rules: dict[str, Any]
    by: NotRequired[str | None]
    changed_at: str

# Reclaim warning
class PoolReclaimWarningV1(TypedDict):
    customer_id: str
    owner_id: str
    pool_id: NotRequired[str | None]
    rule: Literal['no_followup', 'no_deal', 'no_first_contact']
    days_before: float
    reclaim_due_at: str
    warned_at: str

# Quote accepted
class QuoteAcceptedV1(QuoteSnapshot):
    by: str
    accepted_at: str

# Quote rejected
class QuoteRejectedV1(QuoteSnapshot):
    by: str
    rejected_at: str
    reason: NotRequired[str | None]

# Quote sent
class QuoteSentV1(QuoteSnapshot):
    by: str
    sent_at: str

# Automation rule activated
class RuleActivatedV1(TypedDict):
    rule_id: str
    name: str
    rule_version: int
    priority: int
    trigger: dict[str, Any]
    existing: Literal['ignore', 'enroll']
    by: NotRequired[str | None]
    activated_at: str

# Automation rule deactivated
class RuleDeactivatedV1(TypedDict):
    rule_id: str
    name: str
    rule_version: int | None
    reason: Literal['admin', 'failing']
    by: NotRequired[str | None]
    deactivated_at: str

# Task assigned
class TaskAssignedV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    from_assignee_id: str
    by: str
    assigned_at: str

# Task cancelled
class TaskCancelledV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    by: str
    reason: NotRequired[str | None]
    cancelled_at: str

# Task completed
class TaskCompletedV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: str
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    by: str
    note: NotRequired[str | None]

# Task created
class TaskCreatedV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    by: str
    created_at: str

# Task overdue
class TaskOverdueV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    overdue_at: str

# Task updated
class TaskUpdatedV1(TypedDict):
    task_id: str
    title: str
    assignee_id: str
    due_at: str
    priority: Literal['low', 'normal', 'high']
    status: Literal['open', 'done', 'cancelled']
    related: dict[str, Any]
    customer_id: NotRequired[str | None]
    source: dict[str, Any]
    overdue: NotRequired[bool]
    done_late: NotRequired[bool | None]
    completed_at: NotRequired[str | None]
    department_path: NotRequired[list[str]]
    playbook: NotRequired[dict[str, Any] | None]
    escalate_at: NotRequired[list[str]]
    version: int
    changed_fields: list[str]
    by: str
    updated_at: str

# Team created
class TeamCreatedV1(Team):
    pass

# Team updated
class TeamUpdatedV1(Team):
    pass

# User created
class UserCreatedV1(User):
    pass

# User updated
class UserUpdatedV1(TypedDict):
    user_id: str
    username: str
    role: Literal['admin', 'manager', 'rep']
    department_id: str | None
    department_path: list[str]
    supervisor_id: str | None
    active: bool
    team_ids: list[str]
    holding_limit: int
    token_version: NotRequired[int]

# The data type of each (event type, contract version).
DATA: dict[tuple[str, int], Any] = {
    ("crm.automation.applied", 1): AutomationAppliedV1,
    ("crm.automation.requested", 1): AutomationRequestedV1,
    ("crm.config.changed", 1): ConfigChangedV1,
    ("crm.contact.unsubscribed", 1): ContactUnsubscribedV1,
    ("crm.contract.activated", 1): ContractActivatedV1,
    ("crm.contract.approved", 1): ContractApprovedV1,
    ("crm.contract.rejected", 1): ContractRejectedV1,
    ("crm.contract.submitted", 1): ContractSubmittedV1,
    ("crm.customer.contract_signed", 1): CustomerContractSignedV1,
    ("crm.customer.created", 1): CustomerCreatedV1,
    ("crm.customer.deleted", 1): CustomerDeletedV1,
    ("crm.customer.followed_up", 1): CustomerFollowedUpV1,
    ("crm.customer.followup_scheduled", 1): CustomerFollowupScheduledV1,
    ("crm.customer.lifecycle_changed", 1): CustomerLifecycleChangedV1,
    ("crm.customer.lost", 1): CustomerLostV1,
    ("crm.customer.owner_changed", 1): CustomerOwnerChangedV1,
    ("crm.customer.ownership_refused", 1): CustomerOwnershipRefusedV1,
    ("crm.customer.payment_received", 1): CustomerPaymentReceivedV1,
    ("crm.customer.qualified", 1): CustomerQualifiedV1,
    ("crm.customer.stage_changed", 1): CustomerStageChangedV1,
    ("crm.customer.updated", 1): CustomerUpdatedV1,
    ("crm.customer.won", 1): CustomerWonV1,
    ("crm.department.created", 1): DepartmentCreatedV1,
    ("crm.department.updated", 1): DepartmentUpdatedV1,
    ("crm.invoice.issued", 1): InvoiceIssuedV1,
    ("crm.invoice.voided", 1): InvoiceVoidedV1,
    ("crm.lead.assigned", 1): LeadAssignedV1,
    ("crm.lead.contact_methods_confirmed", 1): LeadContactMethodsConfirmedV1,
    ("crm.lead.contacted", 1): LeadContactedV1,
    ("crm.lead.converted", 1): LeadConvertedV1,
    ("crm.lead.disqualified", 1): LeadDisqualifiedV1,
    ("crm.lead.duplicate_detected", 1): LeadDuplicateDetectedV1,
    ("crm.lead.duplicate_dismissed", 1): LeadDuplicateDismissedV1,
    ("crm.lead.merged", 1): LeadMergedV1,
    ("crm.lead.received", 1): LeadReceivedV1,
    ("crm.lead.resubmitted", 1): LeadResubmittedV1,
    ("crm.notification.failed", 1): NotificationFailedV1,
    ("crm.notification.sent", 1): NotificationSentV1,
    ("crm.opportunity.created", 1): OpportunityCreatedV1,
    ("crm.opportunity.deleted", 1): OpportunityDeletedV1,
    ("crm.opportunity.lost", 1): OpportunityLostV1,
    ("crm.opportunity.stage_changed", 1): OpportunityStageChangedV1,
    ("crm.opportunity.updated", 1): OpportunityUpdatedV1,
    ("crm.opportunity.won", 1): OpportunityWonV1,
    ("crm.pipeline.changed", 1): PipelineChangedV1,
    ("crm.pool.customer_assigned", 1): PoolCustomerAssignedV1,
    ("crm.pool.customer_claimed", 1): PoolCustomerClaimedV1,
    ("crm.pool.customer_reclaimed", 1): PoolCustomerReclaimedV1,
    ("crm.pool.customer_returned", 1): PoolCustomerReturnedV1,
    ("crm.pool.customer_transferred", 1): PoolCustomerTransferredV1,
    ("crm.pool.ownership_requested", 1): PoolOwnershipRequestedV1,
    ("crm.pool.pool_changed", 1): PoolPoolChangedV1,
    ("crm.pool.reclaim_warning", 1): PoolReclaimWarningV1,
    ("crm.quote.accepted", 1): QuoteAcceptedV1,
    ("crm.quote.rejected", 1): QuoteRejectedV1,
    ("crm.quote.sent", 1): QuoteSentV1,
    ("crm.rule.activated", 1): RuleActivatedV1,
    ("crm.rule.deactivated", 1): RuleDeactivatedV1,
    ("crm.task.assigned", 1): TaskAssignedV1,
    ("crm.task.cancelled", 1): TaskCancelledV1,
    ("crm.task.completed", 1): TaskCompletedV1,
    ("crm.task.created", 1): TaskCreatedV1,
    ("crm.task.overdue", 1): TaskOverdueV1,
    ("crm.task.updated", 1): TaskUpdatedV1,
    ("crm.team.created", 1): TeamCreatedV1,
    ("crm.team.updated", 1): TeamUpdatedV1,
    ("crm.user.created", 1): UserCreatedV1,
    ("crm.user.updated", 1): UserUpdatedV1,
}
