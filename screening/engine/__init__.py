"""The screening engine: a pure module. Case facts and a compiled rule set in, a determination out."""

from .evaluate import evaluate
from .facts import CaseFacts, facts_from_document
from .ladder import OUTCOMES, RANK, highest
from .ruleset import CompiledRuleSet, compile_rule_set


def screen_document(document: dict, rule_set: CompiledRuleSet, *, decisive_date=None, matcher=None) -> dict:
    """Screen a case document that has passed the contract schema."""
    facts = facts_from_document(document, decisive_date=decisive_date)
    return evaluate(facts, rule_set, matcher=matcher)


__all__ = [
    "OUTCOMES",
    "RANK",
    "CaseFacts",
    "CompiledRuleSet",
    "compile_rule_set",
    "evaluate",
    "facts_from_document",
    "highest",
    "screen_document",
]
