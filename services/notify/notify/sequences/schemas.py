"""What the sequence API reads and answers."""
import marshmallow as ma

from crm_common.events import shared_defs

from . import rules

LIFECYCLES = tuple(shared_defs()["urn:crm:contracts:defs"]["$defs"]["lifecycle"]["enum"])  # the contract's classes
_ID = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class Window(ma.Schema):
    days = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "1 = Monday ... 7 = Sunday"})
    hours = ma.fields.List(ma.fields.Integer(), required=True,
                           metadata={"description": "[start, end): local hours of the recipient's time zone"})

    @ma.validates_schema
    def _check(self, data, **_):
        problem = rules.window_problem(data)
        if problem:
            raise ma.ValidationError(problem, "hours" if "hours" in problem else "days")


class Step(ma.Schema):
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.CHANNELS))
    template_id = _ID
    delay_hours = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=24 * 366),
                                    metadata={"description": "after the enrollment (first step) or the previous step"})
    window = ma.fields.Nested(Window, load_default=None, allow_none=True)


class Goal(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.GOALS))
    # lifecycle classes or stage keys that count as reached; a reply or a click needs none
    values = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=64)), data_key="in",
                            load_default=None, validate=ma.validate.Length(max=50))

    @ma.validates_schema
    def _check(self, data, **_):
        if data["type"] in ("lifecycle", "stage") and not data.get("values"):
            raise ma.ValidationError(f"a {data['type']} goal names what counts as reached", "in")
        if data["type"] == "lifecycle" and set(data["values"]) - set(LIFECYCLES):
            raise ma.ValidationError(f"lifecycle classes are {', '.join(LIFECYCLES)}", "in")

    @ma.post_load
    def _shape(self, data, **_):
        return {"type": data["type"], **({"in": data["values"]} if data.get("values") else {})}


class SequenceIn(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    steps = ma.fields.List(ma.fields.Nested(Step), required=True, validate=ma.validate.Length(min=1, max=20))
    goals = ma.fields.List(ma.fields.Nested(Goal), load_default=list, validate=ma.validate.Length(max=10))
    reenroll_after_days = ma.fields.Integer(load_default=None, allow_none=True,
                                            validate=ma.validate.Range(min=1, max=3650),
                                            metadata={"description": "unset: a contact is enrolled once"})


class SequenceOut(SequenceIn):
    id = ma.fields.String(attribute="_id")
    language = ma.fields.String(metadata={"description": "its templates' language; contacts of another are skipped"})
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()
    goals = ma.fields.List(ma.fields.Dict())


class Filter(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["lead", "customer_contact"]))
    channel_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64),
                                  metadata={"description": "leads: the channel they came from"})
    bucket = ma.fields.String(validate=ma.validate.OneOf(["hot", "warm", "cold"]),
                              metadata={"description": "leads: their score bucket"})
    lifecycle = ma.fields.String(validate=ma.validate.OneOf(LIFECYCLES),
                                 metadata={"description": "customers' contacts: the customer's lifecycle class"})
    level = ma.fields.String(validate=ma.validate.Length(min=1, max=20),
                             metadata={"description": "customers' contacts: the customer's level"})

    @ma.validates_schema
    def _check(self, data, **_):
        wrong = {"lead": ("lifecycle", "level"), "customer_contact": ("channel_id", "bucket")}[data["kind"]]
        for field in wrong:
            if field in data:
                raise ma.ValidationError(f"not a filter of {data['kind']}", field)


class EnrollIn(ma.Schema):
    contact_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    filter = ma.fields.Nested(Filter)

    @ma.validates_schema
    def _one(self, data, **_):
        if ("contact_id" in data) == ("filter" in data):
            raise ma.ValidationError("give a contact_id or a filter, one of them", "contact_id")


class Enrolled(ma.Schema):
    enrolled = ma.fields.Integer()
    skipped = ma.fields.Integer()
    skipped_by_reason = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                       metadata={"description": "already_enrolled, reenrollment_off, too_soon, "
                                                                "no_consent, unsubscribed, other_language, "
                                                                "unknown_contact"})
    enrollment_ids = ma.fields.List(ma.fields.String(), metadata={"description": "the first 100"})


class StepReport(ma.Schema):
    step = ma.fields.Integer()
    channel = ma.fields.String()
    queued = ma.fields.Integer(metadata={"description": "handed to the outbox"})
    sent = ma.fields.Integer()
    failed = ma.fields.Integer(metadata={"description": "parked after its retries"})
    skipped = ma.fields.Integer(metadata={"description": "no consent, no address, suppressed on this channel"})
    waiting_for_cap = ma.fields.Integer(metadata={"description": "enrollments on this step held by the weekly cap"})


class Report(ma.Schema):
    sequence_id = ma.fields.String()
    enrolled = ma.fields.Integer()
    active = ma.fields.Integer()
    completed = ma.fields.Integer()
    goal_reached = ma.fields.Integer()
    unsubscribed = ma.fields.Integer()
    sent = ma.fields.Integer()
    failed = ma.fields.Integer()
    steps = ma.fields.List(ma.fields.Nested(StepReport))
