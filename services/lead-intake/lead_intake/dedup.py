"""De-duplication verdicts (DOMAIN §1), pure: storage finds the matches, this decides and explains.

- exact: a shared identity key (phone, email, WeChat id, or company key with contact name);
- possible: the same company key, or a fuzzy company-name match at or above the threshold
  in the same city;
- otherwise new.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

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
    candidates: list = field(default_factory=list)  # [{"id", "kind", "score", "reason"}]

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


def length_window(company_key: str, threshold: int = DEFAULT_FUZZY_THRESHOLD) -> tuple[int, int]:
    """Key lengths that can reach `threshold`: ratio = 2*common/(a+b) <= 2*min/(a+b), so storage
    can skip every name too short or too long to be similar."""
    n, t = len(company_key), threshold / 100
    return int(n * t / (2 - t)), int(n * (2 - t) / t) + 1


def possible(company_key: str, same_key: list[Record], same_city: list[tuple[Record, str]],
             threshold: int = DEFAULT_FUZZY_THRESHOLD, limit: int = 10) -> Verdict:
    """Candidates by company key and by fuzzy company name; `new` when there are none."""
    candidates = {r: {"id": r.id, "kind": r.kind, "score": 100, "reason": "same_company_key"} for r in same_key}
    if company_key and same_city:
        names = [key for _, key in same_city]
        for _, score, index in process.extract(company_key, names, scorer=fuzz.ratio, score_cutoff=threshold,
                                               limit=limit):
            record = same_city[index][0]
            candidates.setdefault(record, {"id": record.id, "kind": record.kind, "score": round(score, 1),
                                           "reason": "similar_company_name_same_city"})
    if not candidates:
        return Verdict("new")
    ranked = sorted(candidates.values(), key=lambda c: (-c["score"], c["id"]))[:limit]
    return Verdict("possible_duplicate", candidates=ranked)
