"""De-duplication verdicts (DOMAIN §1), pure: storage finds the matches, this decides and explains.

- exact: a shared identity key (phone, email, WeChat id, or company key with contact name);
- possible: a contact method a resubmission offered to a record and no user confirmed (offered_contact);
  the same company key anywhere; or in the same city the same brand (字号), a brand
  that sounds the same in pinyin (tones ignored), the Latin-script name of the brand, or a fuzzy
  company-name match at or above the threshold. Brands that only share a trade word or differ
  in sound are not candidates;
- otherwise new.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

DEFAULT_FUZZY_THRESHOLD = 90


@dataclass(frozen=True, slots=True)
class Record:
    kind: str   # "lead" or "customer"
    id: str


@dataclass
class Verdict:
    verdict: str                                    # new | duplicate | possible_duplicate
    duplicate_of: Record | None = None
    matched_keys: list = field(default_factory=list)
    candidates: list = field(default_factory=list)  # [{"id", "kind", "score", "reason", "compared", "scores"}]

    def explain(self) -> dict:
        out = {"verdict": self.verdict}
        if self.duplicate_of:
            out.update(duplicate_of=self.duplicate_of.id, duplicate_of_kind=self.duplicate_of.kind,
                       matched_keys=self.matched_keys)
        if self.candidates:
            out["candidates"] = self.candidates
        return out


def exact(key_matches: list[tuple[str, Record]]) -> Verdict | None:
    """The record holding most of the submission's keys, with the keys it holds."""
    if not key_matches:
        return None
    by_record: dict[Record, list[str]] = {}
    for key, record in key_matches:
        by_record.setdefault(record, []).append(key)
    record = max(by_record, key=lambda r: len(by_record[r]))
    return Verdict("duplicate", duplicate_of=record, matched_keys=sorted(by_record[record]))


@dataclass(frozen=True, slots=True)
class Company:
    """A stored record's company as storage returns it (companies.document)."""
    record: Record
    key: str
    brand: str
    sound: str
    city: str | None


# Rules in the order they are shown; the first that holds names a candidate.
RULES = ("offered_contact", "same_company_key", "same_brand_same_city", "homophone_brand_same_city",
         "latin_brand_same_city", "similar_company_name_same_city")


def rule_of(mine: Company, other: Company, threshold: int) -> tuple[str, float] | None:
    """(rule, score) by which `other` is a possible duplicate of `mine`, or None."""
    if mine.key and other.key == mine.key:
        return "same_company_key", 100.0
    if not mine.city or other.city != mine.city:
        return None
    if mine.brand and other.brand == mine.brand:
        return "same_brand_same_city", 100.0
    if mine.sound and other.sound == mine.sound:
        latin = mine.brand.isascii() != other.brand.isascii()
        return ("latin_brand_same_city" if latin else "homophone_brand_same_city"), 100.0
    score = round(fuzz.ratio(mine.key, other.key), 1)
    return ("similar_company_name_same_city", score) if score >= threshold else None


def possible(mine: Company, found: list[Company], threshold: int = DEFAULT_FUZZY_THRESHOLD,
             limit: int = 10) -> Verdict:
    """Candidates among the records storage found by blocking keys, each explained; `new` when none."""
    candidates = []
    for other in found:
        matched = rule_of(mine, other, threshold) if other.record != mine.record else None
        if matched:
            rule, score = matched
            candidates.append({
                "id": other.record.id, "kind": other.record.kind, "score": score, "reason": rule,
                "compared": {"company_key": [mine.key, other.key], "brand": [mine.brand, other.brand],
                         "sound": [mine.sound, other.sound], "city": other.city},
                "scores": {"company_name": round(fuzz.ratio(mine.key, other.key), 1),
                           "brand": round(fuzz.ratio(mine.brand, other.brand), 1), "threshold": threshold}})
    if not candidates:
        return Verdict("new")
    candidates.sort(key=lambda c: (RULES.index(c["reason"]), -c["score"], c["id"]))
    return Verdict("possible_duplicate", candidates=candidates[:limit])


def offered(matches: list[tuple[str, Record]]) -> list[dict]:
    """The records the submission's contact methods were offered to (unconfirmed), as candidates."""
    by_record: dict[Record, list[str]] = {}
    for key, record in matches:
        by_record.setdefault(record, []).append(key)
    return [{"id": record.id, "kind": record.kind, "score": 100.0, "reason": "offered_contact",
             "compared": {"offered_keys": sorted(keys)}, "scores": {}}
            for record, keys in sorted(by_record.items(), key=lambda item: (item[0].kind, item[0].id))]


def with_offers(verdict: Verdict, offered_candidates: list[dict], limit: int = 10) -> Verdict:
    """A new lead's verdict with the records offered its contact methods first (a record found by both
    rules is named once, by the offer)."""
    if not offered_candidates:
        return verdict
    named = {(c["kind"], c["id"]) for c in offered_candidates}
    others = [c for c in verdict.candidates if (c["kind"], c["id"]) not in named]
    return Verdict("possible_duplicate", candidates=(offered_candidates + others)[:limit])
