"""The assignment rules an admin sets (DOMAIN §1): which team a lead goes to, by region, industry or channel."""
from __future__ import annotations

import marshmallow as ma


class AssignmentRule(ma.Schema):
    team_id = ma.fields.String(required=True)
    region = ma.fields.List(ma.fields.String(), load_default=list, metadata={"description": "province or city"})
    industry = ma.fields.List(ma.fields.String(), load_default=list)
    channel = ma.fields.List(ma.fields.String(), load_default=list, metadata={"description": "channel ids or names"})


class AssignmentRules(ma.Schema):
    rules = ma.fields.List(ma.fields.Nested(AssignmentRule), load_default=list,
                           metadata={"description": "the first matching rule chooses the team"})
    default_team_id = ma.fields.String(load_default=None, allow_none=True)
