"""How a de-duplication verdict is shown (DOMAIN §1: every decision names its keys, candidates and scores),
and the de-duplication rules an admin sets."""
from __future__ import annotations

import marshmallow as ma

from .verdicts import DEFAULT_FUZZY_THRESHOLD


class Candidate(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    score = ma.fields.Float()
    reason = ma.fields.String(metadata={"description": "the rule that matched (DOMAIN §1): offered_contact (a "
                                        "contact method a resubmission offered the candidate, unconfirmed), "
                                        "same_company_key, "
                                        "same_brand_same_city, homophone_brand_same_city, latin_brand_same_city, "
                                        "similar_company_name_same_city"})
    compared = ma.fields.Dict(metadata={"description": "company_key, brand and sound as [submitted, candidate]; city; "
                                        "for offered_contact, offered_keys"})
    scores = ma.fields.Dict(metadata={"description": "fuzzy ratios of company name and brand, and the threshold"})


class Dedup(ma.Schema):
    verdict = ma.fields.String(metadata={"description": "new, duplicate or possible_duplicate"})
    duplicate_of = ma.fields.String()
    duplicate_of_kind = ma.fields.String(metadata={"description": "lead or customer"})
    matched_keys = ma.fields.List(ma.fields.String())
    candidates = ma.fields.List(ma.fields.Nested(Candidate))
    taken_by_colleague = ma.fields.Boolean(metadata={
        "description": "a duplicate of a record outside the caller's scope, which is not named"})


class DedupRules(ma.Schema):
    fuzzy_threshold = ma.fields.Integer(load_default=DEFAULT_FUZZY_THRESHOLD, validate=ma.validate.Range(50, 100))
