"""Request and response schemas of customers and contacts.

Fields the server owns (owner, department, stage, totals, ...) are refused by
name in every request, not silently dropped: they change only through their
own commands (owner, stage, contracts ...) or by derivation.
"""
import marshmallow as ma

from crm_common.kernel.money import SIGNED_PATTERN, Amount
from crm_common.kernel.zones import iana_zone
from crm_common.paging import PageArgs, page_schema

from . import contacts
from .scope import VIEWS

SERVER_OWNED = {
    "id", "_id", "owner_id", "department", "department_id", "department_path", "collaborator_ids", "stage",
    "stage_entered_at", "lifecycle", "milestones", "qualification", "last_followup_at", "next_contact_at",
    "claim_count", "followup_count", "completeness", "opportunity_total", "order_total", "paid_total",
    "outstanding", "contract_count", "purchases", "version", "created_at", "updated_at", "source_lead_id",
    "in_pool", "pool_id", "loss_reason", *(
        "open_opportunities", "pipeline_amount", "won_amount", "primary_opportunity_id"),
    "invoiced_total", "uninvoiced_total",
}
TEXT = ma.validate.Length(max=500)
LONG_TEXT = ma.validate.Length(max=5000)


class IsoDate(ma.fields.Date):
    """A calendar date kept as its ISO string (MongoDB has no date-only type)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) or value is None else super()._serialize(value, attr, obj, **kwargs)


class RejectsServerOwned(ma.Schema):
    @ma.pre_load
    def refuse_server_owned(self, data, **kwargs):
        if isinstance(data, dict):
            owned = sorted(set(data) & SERVER_OWNED)
            if owned:
                # named together with any other unknown field, or those would go untold until a second try
                known = {field.data_key or name for name, field in self.load_fields.items()}
                unknown = {k: ["Unknown field."] for k in data if k not in known and k not in SERVER_OWNED}
                raise ma.ValidationError({**unknown, **{k: ["is owned by the server and cannot be set in a request"]
                                                        for k in owned}})
        return data


class ContactIn(ma.Schema):
    requires_someone = False  # a new contact must name someone or give a way to reach them
    name = ma.fields.String(validate=ma.validate.Length(max=100))
    title = ma.fields.String(validate=ma.validate.Length(max=100))
    phones = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=40)), validate=ma.validate.Length(max=10))
    emails = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=200)), validate=ma.validate.Length(max=10))
    wechat_ids = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=100)),
                                validate=ma.validate.Length(max=10))
    # One shape for a contact everywhere: one phone, email or WeChat id, as a lead takes them.
    phone = ma.fields.String(load_only=True, validate=ma.validate.Length(max=40),
                             metadata={"description": "one phone, added to phones"})
    email = ma.fields.String(load_only=True, validate=ma.validate.Length(max=200),
                             metadata={"description": "one email, added to emails"})
    wechat_id = ma.fields.String(load_only=True, validate=ma.validate.Length(max=100),
                                 metadata={"description": "one WeChat id, added to wechat_ids"})
    birthday = IsoDate(allow_none=True)
    primary = ma.fields.Boolean(metadata={"description": "the one transactional mail (a quote, a contract) goes to"})
    note = ma.fields.String(validate=TEXT)
    # what notify writes to the person in, and the zone its greetings and send windows keep; null: the default
    language = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(contacts.LANGUAGES))
    timezone = ma.fields.String(allow_none=True, validate=[ma.validate.Length(max=64), iana_zone],
                                metadata={"description": "IANA time zone name, e.g. Asia/Shanghai"})

    @ma.post_load
    def normalise(self, data, **kwargs):
        for single, plural in (("phone", "phones"), ("email", "emails"), ("wechat_id", "wechat_ids")):
            if single in data:
                data[plural] = list(data.get(plural, [])) + [data.pop(single)]
        try:
            contact = contacts.normalised(data)
        except contacts.FieldError as exc:
            raise ma.ValidationError({exc.field: [str(exc)]}) from exc
        if self.requires_someone and not (contact.get("name") or "").strip() and not contacts.identity_keys([contact]):
            raise ma.ValidationError({"name": ["a contact needs a name, or a phone, email or WeChat id"]})
        return contact


class NewContactIn(ContactIn):
    requires_someone = True


class InvoiceInfo(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(max=200))
    tax_id = ma.fields.String(validate=ma.validate.Length(max=50))
    bank = ma.fields.String(validate=ma.validate.Length(max=200))
    account = ma.fields.String(validate=ma.validate.Length(max=50))
    address = ma.fields.String(validate=TEXT)


class DealFacts(ma.Schema):
    """What the rep learnt about a deal, checked by the stage conditions: an opportunity's (a customer's PATCH
    sets them on its primary opportunity too)."""
    interest_expressed = ma.fields.Boolean()
    needs = ma.fields.String(validate=LONG_TEXT, allow_none=True)
    needs_matched = ma.fields.Boolean()
    proposal_url = ma.fields.String(validate=TEXT, allow_none=True)
    terms_agreed = ma.fields.Boolean()


class CustomerFields(RejectsServerOwned, DealFacts):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    kind = ma.fields.String(validate=ma.validate.OneOf(["company", "person"]))
    industry = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    city = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    province = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    address = ma.fields.String(validate=TEXT, allow_none=True)
    website = ma.fields.String(validate=TEXT, allow_none=True)
    source = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    level = ma.fields.String(validate=ma.validate.OneOf(["A", "B", "C"]))
    tags = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=50)),
                          validate=ma.validate.Length(max=50))
    note = ma.fields.String(validate=LONG_TEXT, allow_none=True)
    founded_on = IsoDate(allow_none=True)
    invoice_info = ma.fields.Nested(InvoiceInfo, allow_none=True)


class CustomerIn(CustomerFields):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    # How many is checked after parsing (contacts.check_count), the same 400 as when adding one to a customer.
    contacts = ma.fields.List(ma.fields.Nested(NewContactIn), load_default=list)
    pipeline_id = ma.fields.String()


class CustomerPatch(CustomerFields):
    """Editable fields only; contacts have their own resource."""


class ContactOut(ContactIn):
    contact_id = ma.fields.String()
    unsubscribed = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.DateTime(), dump_only=True, metadata={
        "description": "channel (email, sms) -> when the contact opted out of marketing there (from notify)"})


class QualificationOut(ma.Schema):
    qualitative = ma.fields.String()
    grade = ma.fields.String(allow_none=True)
    expected_amount = Amount(allow_none=True, dump_only=True)
    expected_sign_date = IsoDate(allow_none=True)
    by = ma.fields.String()
    at = ma.fields.DateTime()  # ISO 8601 like every other time, not the JSON encoder's HTTP date


class CustomerOut(CustomerFields):
    id = ma.fields.String(attribute="_id")
    possible_duplicates = ma.fields.Dict(metadata={
        "description": "in the answer to an entry or a rename only: other customers with the same company key "
                       "(reason same_company_key, the candidates the caller may see, how many are not shown)"})
    contacts = ma.fields.List(ma.fields.Nested(ContactOut))
    owner_id = ma.fields.String(allow_none=True)
    department_path = ma.fields.List(ma.fields.String())
    collaborator_ids = ma.fields.List(ma.fields.String())
    pipeline_id = ma.fields.String()
    stage = ma.fields.String()
    stage_entered_at = ma.fields.DateTime()
    lifecycle = ma.fields.String()
    milestones = ma.fields.Dict()
    qualification = ma.fields.Nested(QualificationOut, allow_none=True)
    loss_reason = ma.fields.String(allow_none=True)
    last_followup_at = ma.fields.DateTime(allow_none=True)
    next_contact_at = ma.fields.DateTime(allow_none=True)
    last_followup_summary = ma.fields.String(allow_none=True)
    claim_count = ma.fields.Integer()
    followup_count = ma.fields.Integer()
    completeness = ma.fields.Float()
    opportunity_total = Amount(dump_only=True)
    order_total = Amount(dump_only=True)
    paid_total = Amount(dump_only=True)
    outstanding = Amount(dump_only=True, metadata={"pattern": SIGNED_PATTERN})
    contract_count = ma.fields.Integer()
    invoiced_total = Amount(dump_only=True, dump_default="0.00", metadata={
        "description": "invoiced, less red-letter invoices (红冲)"})
    uninvoiced_total = Amount(dump_only=True, dump_default="0.00", metadata={
        "description": "the order total not yet invoiced"})
    # what its opportunities add up to
    open_opportunities = ma.fields.Integer(dump_default=0)
    pipeline_amount = Amount(dump_only=True, metadata={"description": "商机总额: the open opportunities' amounts"})
    won_amount = Amount(dump_only=True, metadata={"description": "the won opportunities' amounts"})
    primary_opportunity_id = ma.fields.String(allow_none=True, metadata={
        "description": "the most recently active open opportunity, whose stage `stage` shows"})
    in_pool = ma.fields.Boolean()
    pool_id = ma.fields.String(allow_none=True, metadata={"description": "the pool it waits in, while it has no owner"})
    source_lead_id = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class CustomerQuery(PageArgs):
    view = ma.fields.String(load_default="all", validate=ma.validate.OneOf(VIEWS))
    source_lead_id = ma.fields.String()
    owner_id = ma.fields.String()
    stage = ma.fields.String()
    level = ma.fields.String(validate=ma.validate.OneOf(["A", "B", "C"]))
    lifecycle = ma.fields.String()
    tag = ma.fields.String()
    pipeline_id = ma.fields.String()


CustomerPage = page_schema(CustomerOut, "CustomerPage")
