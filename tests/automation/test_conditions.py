"""The worker asks each rule only whether its conditions hold (a compiled check, cut short); a run's log
traces every clause. Both must say the same of every tree, or a rule would run without its trace
holding, or be counted as skipped when its dry run says it fires. Pure: no servers."""
import itertools

from automation.engine.conditions import Facts, compiled, evaluate

from .test_rules_api import SHAPES

LEAVES = [
    {"field": "event.data.content", "op": "contains_any", "value": ["投诉", "ＣＯＭＰＬＡＩＮＴ"]},
    {"field": "event.data.content", "op": "contains_any", "value": []},
    {"field": "record.tags", "op": "contains_any", "value": ["vip", ""]},
    {"field": "record.level", "op": "eq", "value": "A"},
    {"field": "record.amount", "op": "gte", "value": 1000},
    {"field": "record.amount", "op": "lt", "value": "99.50"},
    {"field": "record.level", "op": "in", "value": ["A", "B"]},
    {"field": "record.owner_id", "op": "is_empty"},
    {"field": "record.owner_id", "op": "is_empty", "value": False},
    {"field": "record.stage", "op": "changed"},
    {"field": "event.data.stage", "op": "changed"},
    {"field": "record.missing.deep", "op": "ne", "value": None},
]
TREES = [None, {"all": []}, {"any": []}, *SHAPES["conditions"], *LEAVES,
         *({"all": list(pair)} for pair in itertools.combinations(LEAVES, 2)),
         *({"any": [a, {"not": b}]} for a, b in itertools.combinations(LEAVES, 2))]
FACTS = [
    Facts({"data": {"content": "客户要投诉", "changed_fields": ["stage"]}},
          {"level": "A", "amount": "1500.00", "tags": ["vip"], "owner_id": "rep-1", "stage": "proposal"}, None),
    Facts({"data": {"content": "complaint about 全角 text", "stage": "won"}},
          {"level": "C", "amount": 99, "tags": [], "owner_id": None, "stage": "won"}, {"stage": "proposal"}),
    Facts({"data": {}}, {}, {}),
    Facts({"data": None}, {"level": "B", "amount": "not a number", "stage": "lead"}, {"stage": "lead"}),
]


def test_the_compiled_check_says_what_the_traced_evaluation_says_of_every_tree():
    for tree, facts in itertools.product(TREES, FACTS):
        assert compiled(tree)(facts) == evaluate(tree, facts)[0], (tree, facts)
