"""Request and response schemas of claims and assignments."""
import marshmallow as ma


class ClaimOut(ma.Schema):
    customer_id = ma.fields.String()
    owner_id = ma.fields.String()
    first_contact_due_at = ma.fields.DateTime(allow_none=True)


class AssignIn(ma.Schema):
    user_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=500),
                              metadata={"description": "why this rep (kept in the movement log)"})
