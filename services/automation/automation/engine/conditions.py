"""A rule's conditions: a tree of all / any / not over the event and the record as it is now.

`evaluate` answers whether the tree holds and a trace of every clause (which held, which failed, with
the values it compared), which the run log keeps so an admin sees why a rule fired or not. Every
clause is evaluated, none is cut short, so the trace is whole.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class Facts:
    """What a rule looks at: the event, the record after it, and the record before it (None: not known)."""
    event: dict
    record: dict
    before: dict | None = None


def evaluate(tree: dict | None, facts: Facts) -> tuple[bool, list[dict]]:
    trace: list[dict] = []
    held = _node(tree or {"all": []}, facts, "", trace)
    return held, trace


def _node(node: dict, facts: Facts, path: str, trace: list[dict]) -> bool:
    for group in ("all", "any"):
        if group in node:
            results = [_node(child, facts, f"{path}{group}.{i}.", trace) for i, child in enumerate(node[group])]
            held = all(results) if group == "all" else any(results)
            trace.append({"clause": path + group, "held": held})
            return held
    if "not" in node:
        held = not _node(node["not"], facts, path + "not.", trace)
        trace.append({"clause": path + "not", "held": held})
        return held
    return _leaf(node, facts, path.rstrip("."), trace)


def compiled(tree: dict | None):
    """`evaluate`'s answer alone, as a function of the facts, cut short at the first clause that decides
    it and with no trace: the worker asks each active rule this on every event it listens on (most do
    not hold), and traces only the rules that run."""
    return _compiled(tree or {"all": []})


def _compiled(node: dict):
    if "all" in node or "any" in node:
        children = [_compiled(child) for child in node["all" if "all" in node else "any"]]
        if "all" in node:
            return lambda facts: all(child(facts) for child in children)
        return lambda facts: any(child(facts) for child in children)
    if "not" in node:
        inner = _compiled(node["not"])
        return lambda facts: not inner(facts)
    field, op, expected = node["field"], node["op"], node.get("value")
    if op == "changed":
        return lambda facts: _changed(field, facts, value_of(field, facts.event, facts.record))[0]
    if op == "contains_any":  # the keywords folded once, not once an event
        keywords = [folded(k) for k in expected or [] if k not in EMPTY]
        return lambda facts: _found(keywords, value_of(field, facts.event, facts.record))
    compare = OPERATORS[op]
    return lambda facts: compare(value_of(field, facts.event, facts.record), expected)


def _leaf(leaf: dict, facts: Facts, path: str, trace: list[dict]) -> bool:
    field, op, expected = leaf["field"], leaf["op"], leaf.get("value")
    actual = value_of(field, facts.event, facts.record)
    if op == "changed":
        held, before = _changed(field, facts, actual)
        shown = {"before": before}
    else:
        held, shown = OPERATORS[op](actual, expected), {}
    trace.append({"clause": path or "leaf", "field": field, "op": op, "value": expected, "actual": brief(actual),
                  **shown, "held": held})
    return held


def brief(value, limit: int = 200):
    """A value as a trace shows it: a long text (a follow-up's whole content) cut to its start."""
    return value[:limit] + "..." if isinstance(value, str) and len(value) > limit else value


def value_of(field: str, event: dict, record: dict):
    """The value a leaf names: `event.data.<path>` or `record.<path>` (dotted into nested objects)."""
    if field.startswith("event.data."):
        return dig(event.get("data") or {}, field[len("event.data."):])
    return dig(record or {}, field[len("record."):])


def dig(doc, path: str):
    for part in path.split("."):
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return None
    return doc


def _changed(field: str, facts: Facts, actual) -> tuple[bool, object]:
    """Whether the event moved the field, and its value before: from the record as it was, or, for a
    record not seen before, from the event's own list of changed fields."""
    name = field.split(".", 2)[-1] if field.startswith("event.data.") else field[len("record."):]
    if facts.before is not None:
        before = dig(facts.before, name)
        return before != actual, before
    changed = (facts.event.get("data") or {}).get("changed_fields")
    return isinstance(changed, list) and name.split(".")[0] in changed, None


def folded(text) -> str:
    """Text as compared by keywords: width and case folded (全角 and half-width match)."""
    return unicodedata.normalize("NFKC", str(text)).casefold()


def _contains_any(actual, keywords) -> bool:
    return _found([folded(k) for k in keywords or [] if k not in EMPTY], actual)


def _found(keywords: list[str], actual) -> bool:
    """Whether a folded keyword is in the text (or in one of the texts) of `actual`."""
    if not keywords:
        return False
    texts = actual if isinstance(actual, list) else [actual]
    return any(k in t for t in (folded(t) for t in texts if t not in EMPTY) for k in keywords)


def _in(actual, allowed) -> bool:
    allowed = allowed or []
    return any(a in allowed for a in actual) if isinstance(actual, list) else actual in allowed


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    try:
        return Decimal(value) if isinstance(value, str) and value.strip() else None
    except InvalidOperation:
        return None


def _ordered(compare):
    """An order comparison of numbers (amounts as decimal strings included) or of texts (ISO dates
    and times order as text); anything else, a missing value among them, does not hold."""
    def check(actual, expected) -> bool:
        a, b = _number(actual), _number(expected)
        if a is not None and b is not None:
            return compare(a, b)
        if isinstance(actual, str) and isinstance(expected, str):
            return compare(actual, expected)
        return False
    return check


def _equal(actual, expected) -> bool:
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None and not (isinstance(actual, str) and isinstance(expected, str)):
        return a == b
    return actual == expected


OPERATORS = {
    "eq": _equal,
    "ne": lambda a, b: not _equal(a, b),
    "in": _in,
    "gt": _ordered(lambda a, b: a > b), "gte": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b), "lte": _ordered(lambda a, b: a <= b),
    "is_empty": lambda a, b: (a in EMPTY) == (b is not False),
    "contains_any": _contains_any,
}


def record_fields(tree: dict | None) -> list[str]:
    """The record fields a tree reads (`record.level` -> `level`): what must still hold when it is applied."""
    if not tree:
        return []
    if "field" in tree:
        return [tree["field"][len("record."):]] if tree["field"].startswith("record.") else []
    children = tree.get("all") or tree.get("any") or ([tree["not"]] if "not" in tree else [])
    return list(dict.fromkeys(f for child in children for f in record_fields(child)))
